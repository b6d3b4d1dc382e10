# The project's commands. `make lab` makes .venv (Python 3.11) with what a learner needs
# (requirements.txt); every other target adds the maintainers' tools (requirements-dev.txt).
# Each installs the first time, and again whenever its requirements change.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LAB := $(VENV)/.installed-lab
DEV := $(VENV)/.installed-dev
# TORCH=cpu (Linux): install torch's CPU-only build from PyTorch's own wheel index first, as
# pytorch.org documents it, instead of the default index's CUDA build (about 5 GB of GPU
# libraries a CPU course never loads). Unset, the install is exactly the default route.
TORCH ?=
# Extra pytest arguments, e.g. PYTEST_ARGS="-n 0 -k patch --durations=20".
PYTEST_ARGS ?=

.PHONY: lab test check lint format notebooks student slides bench checkpoint controls clean

$(LAB): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
ifeq ($(TORCH),cpu)
	$(BIN)/python -m pip install --index-url https://download.pytorch.org/whl/cpu $$(grep '^torch==' requirements.txt)
endif
	$(BIN)/python -m pip install -r requirements.txt
	touch $(LAB)

$(DEV): $(LAB) requirements-dev.txt
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $(DEV)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

## lab: open the notebooks in JupyterLab
lab: $(LAB)
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/

## test: unit tests, strict nbval over every notebook (lessons and solutions), ruff
test: $(DEV)
	$(BIN)/python -m pytest -m "not check" $(PYTEST_ARGS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## check: the slow checks (student copies, slide decks in Chromium, Run All in JupyterLab, every cell twice)
check: $(DEV)
	$(BIN)/python -m pytest -m check --dist load $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## notebooks: rebuild every .ipynb from its source in notebooks/src and execute it in a fresh kernel
notebooks: $(DEV)
	$(BIN)/python -m tools.build_notebooks
	$(BIN)/python -m tools.readme

## checkpoint: train notebook 07's ViT on all 60,000 Fashion-MNIST images into checkpoints/fashion_vit.pt
checkpoint: $(DEV)
	$(BIN)/python -m tools.train_checkpoint --no-progress

## controls: notebook 07's two controls, the same run without flips and with 4 registers (17 and 20 min)
controls: $(DEV)
	$(BIN)/python -m tools.train_checkpoint --no-progress --augment random_crop --out checkpoints/fashion_vit_noflip.pt
	$(BIN)/python -m tools.train_checkpoint --no-progress --reg-tokens 4 --out checkpoints/fashion_vit_reg4.pt

## student: build/student/NN_*.ipynb, the lessons with their outputs cleared, to hand out
student: $(DEV)
	$(BIN)/python -m tools.workshop student

## slides: build/slides/NN_*.slides.html, reveal.js decks that open with no network
slides: $(DEV)
	$(BIN)/python -m tools.workshop slides

## bench: speed of our attention vs torch's built-in layer; notebook 06's numbers; ViT vs CNN by data size
bench: $(DEV)
	$(BIN)/python benchmarks/train_step.py
	$(BIN)/python benchmarks/digits.py --seeds 5
	$(BIN)/python benchmarks/fashion.py search
	$(BIN)/python benchmarks/fashion.py augment
	$(BIN)/python benchmarks/fashion.py cnn
	$(BIN)/python benchmarks/fashion.py sizes
	$(BIN)/python -m tools.readme

clean:  # build/ holds the slide decks and student copies
	rm -rf build .pytest_cache

# The project's commands. Each one creates .venv (Python 3.11) and installs the pinned
# requirements the first time, and again whenever requirements.txt or pyproject.toml change.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# TORCH=cpu (Linux): install torch's CPU-only build from PyTorch's own wheel index first, as
# pytorch.org documents it, instead of the default index's CUDA build (about 5 GB of GPU
# libraries a CPU course never loads). Unset, the install is exactly the default route.
TORCH ?=
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# Extra pytest arguments for `make test`, e.g. PYTEST_ARGS="-n 0 -k patch --durations=20".
PYTEST_ARGS ?=

.PHONY: lab test lint format notebooks student slides bench checkpoint rerun lab-check test-pythons test-latest clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
ifeq ($(TORCH),cpu)
	$(BIN)/python -m pip install --index-url $(TORCH_CPU_INDEX) $$(grep '^torch==' requirements.txt)
endif
	$(BIN)/python -m pip install -r requirements.txt
	touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

## lab: open the notebooks in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/

## test: unit tests, notebook hygiene and nbval over every notebook, then lint (a worker per core)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## notebooks: rebuild every .ipynb from its source in notebooks/src and execute it in a fresh kernel
notebooks: $(STAMP)
	$(BIN)/python -m tools.build_notebooks
	$(BIN)/python -m tools.readme

## checkpoint: train notebook 07's ViT on all 60,000 Fashion-MNIST images into checkpoints/fashion_vit.pt
checkpoint: $(STAMP)
	$(BIN)/python -m tools.train_checkpoint

## rerun: run every notebook cell twice in a row, as a learner pressing Shift-Enter again does
rerun: $(STAMP)
	$(BIN)/python -m tools.check_rerun

## lab-check: Run All of every notebook in a real JupyterLab (headless Chromium): no solution's answer shows
lab-check: $(STAMP)
	$(BIN)/python -m tools.check_lab

## test-pythons: unit tests and nbval over notebooks 01-05 under each of python3.11/3.12/3.13 found here
test-pythons: $(STAMP)
	$(BIN)/python -m tools.test_pythons

## test-latest: the newest releases of the direct dependencies, unpinned, in a throwaway venv (nbval lax)
test-latest: $(STAMP)
	$(BIN)/python -m tools.test_latest

## student: build/student/NN_*.ipynb, copies without solutions or outputs, to hand out
student: $(STAMP)
	$(BIN)/python -m tools.workshop student

## slides: build/slides/NN_*.slides.html, reveal.js decks that open with no network
slides: $(STAMP)
	$(BIN)/python -m tools.workshop slides

## bench: speed of our attention vs torch's built-in layer; notebook 06's numbers; ViT vs CNN by data size
bench: $(STAMP)
	$(BIN)/python benchmarks/train_step.py
	$(BIN)/python benchmarks/digits.py --seeds 5
	$(BIN)/python benchmarks/inductive_bias.py
	$(BIN)/python -m tools.readme

clean:  # build/ holds the decks, student copies, the test cache and the extra venvs
	rm -rf build .pytest_cache

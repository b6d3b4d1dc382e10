# The project's commands. Each one creates .venv (Python 3.11) and installs the pinned
# requirements the first time, and again whenever requirements.txt or pyproject.toml change.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test lint format notebooks student slides bench checkpoint rerun lab-check clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

## lab: open the notebooks in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/

## test: unit tests, notebook hygiene and nbval over every notebook, then lint
test: $(STAMP)
	$(BIN)/python -m pytest
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

clean:
	rm -rf build .pytest_cache

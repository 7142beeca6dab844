# One place for the project's commands. PY may point at a virtualenv's python.
PY ?= python3
PAGE ?= images/sample_01.png

.PHONY: setup run test bench clean

# Install the package (editable) with the training and test extras; re-runs only when setup.cfg changes.
.setup.stamp: setup.cfg pyproject.toml
	$(PY) -m pip install -q -e '.[train,dev]'
	touch $@

setup: .setup.stamp

# The main job: read a sample page with the shipped default model.
run: .setup.stamp
	$(PY) -m ocr_cli extract $(PAGE)

test: .setup.stamp
	$(PY) -m pytest

bench: .setup.stamp
	$(PY) benchmarks/run_all.py

clean:
	rm -rf .setup.stamp .pytest_cache build *.egg-info

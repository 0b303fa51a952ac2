# nn-ex4 — entry points. `make help` lists them.
SHELL := /bin/bash
VENV  ?= .venv
PY    ?= $(VENV)/bin/python
CARGO ?= cargo
# extra arguments for the benchmark, e.g. make bench BENCH_ARGS="--sweep"
BENCH_ARGS ?=
# extra arguments for the notebook runner, e.g. make notebook-test NB_ARGS="--timeout 1200"
NB_ARGS ?=
# the notebook runs of `make test`: the project's notebooks (tests/notebooks/expect/*.json
# plus every notebooks/**/*.ipynb) and the runner's self-test fixtures
# JupyterLab refuses to run as root without --allow-root (containers, CI machines)
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
NB_SPECS := --expect-dir tests/notebooks/expect --expect-dir tests/notebooks/fixtures

.PHONY: help setup warm notebooks test lint doc rust-test python-test notebook-test notebook-outputs clean-notebook-builds bench ex4 grade bench-grade

help:
	@echo "make setup          .venv with JupyterLab + test tools, evcxr_jupyter, the rust kernel"
	@echo "make warm           compile the library into the notebook kernel's cache (first notebook opens in seconds)"
	@echo "make notebooks      setup if needed, then JupyterLab on notebooks/"
	@echo "make test           everything: cargo tests, Python tests, all notebooks"
	@echo "make lint           cargo fmt --check, clippy -D warnings, ruff over the kit's Python (as CI)"
	@echo "make notebook-test  only the notebooks (headless, checked against tests/notebooks/expect)"
	@echo "make notebook-outputs  run the walkthrough notebooks and store their outputs in them"
	@echo "make ex4            the whole exercise in the terminal"
	@echo "make doc            the library's docs with their formulas (target/doc/nn_core/index.html)"
	@echo "make bench          speed figures, each against NumPy measured in the same run (BENCH_ARGS=--sweep: + lambda study; --as-avx2: as on an AVX2-only CPU)"
	@echo "make grade SUBMISSIONS=dir GRADES=dir  grade a class: gradebook.csv, feedback/, summary.md + .png"
	@echo "make bench-grade    time grading a made-up class of 30 (cold and warm build)"
	@echo "make clean-notebook-builds  remove build folders of killed notebook kernels (.evcxr/.tmp*)"
	@echo "make hub            (root) a class server: JupyterHub on 127.0.0.1:8000, one Unix user per student (docs/classroom.md)"
	@echo "make hub-stop       stop it, and every student's server and kernel"
	@echo "make hub-test STUDENTS=N  (root) N test students at once on a hub (HUB_TEST_ARGS=\"--pattern lab --notebook 03\"): memory, CPU, latency"
	@echo "make hub-capacity   (root) docs/classroom.md's capacity table: hub-test rows on a quiet machine (CAPACITY_ROWS, CAPACITY_OUT)"
	@echo "make hub-cpufair    (root) one student's busy loop vs another's cell latency, with and without cpu shares"

setup:
	@bash scripts/setup.sh

warm: setup
	$(PY) scripts/warm.py

notebooks: setup
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/

# each suite runs even when one before it failed; one summary, the notebook runner's line last
test:
	@bash tests/run_all.sh

# The project's habits, as CI checks them (ruff with its default rules, pinned in requirements.txt).
lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check scripts hub tests tools

rust-test:
	$(CARGO) test --workspace

# tests/hub runs in the hub's own venv (it imports jupyterhub): .ci/run, docs/classroom.md
PYTEST_ARGS ?=
python-test: setup
	$(PY) -m pytest -q -rs -p no:cacheprovider --ignore=tests/hub $(PYTEST_ARGS) tests

notebook-test: setup
	$(PY) tests/notebooks/run_notebooks.py $(NB_SPECS) $(NB_ARGS)

notebook-outputs: setup
	$(PY) tests/notebooks/run_notebooks.py --write $(NB_ARGS)

# evcxr build folders left by kernels that were killed (only when no notebook is running)
clean-notebook-builds:
	rm -rf .evcxr/.tmp*

# the NumPy baseline runs from .venv (setup), interleaved with the Rust figures; more options:
# make bench BENCH_ARGS="--sweep --rounds 40 --json out/bench.json" (see nn-core/examples/bench.rs)
bench: setup
	$(CARGO) run --release -p nn-core --example bench -- $(BENCH_ARGS)

ex4:
	$(CARGO) run --release -p nn-core --example ex4

# rustdoc with the doc comments' $...$ formulas rendered by KaTeX, vendored (nn-core/doc/katex)
doc:
	RUSTDOCFLAGS="--html-in-header $(CURDIR)/nn-core/doc/katex-header.html" $(CARGO) doc --no-deps -p nn-core -p nn-grader
	rm -rf target/doc/katex && cp -r nn-core/doc/katex target/doc/katex
	@echo "docs: target/doc/nn_core/index.html"

# Grading a class: every notebook of SUBMISSIONS (<student>.ipynb, or nbgrader's
# submitted/<student>/<assignment>/*.ipynb) -> GRADES/gradebook.csv, feedback/, summary.md/.png.
# Each student's program runs in a bubblewrap sandbox (docs/grading.md); without bwrap or user
# namespaces it stops with the fix (GRADE_ARGS=--no-sandbox grades anyway, and says so).
SUBMISSIONS ?=
GRADES ?= grades
GRADE_ARGS ?=
grade:
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [GRADES=folder] [GRADE_ARGS='--time-limit 10']"; exit 2; }
	python3 scripts/grade_class.py "$(SUBMISSIONS)" "$(GRADES)" $(GRADE_ARGS)

# Grading speed: a made-up class of 30 (scripts/make_class.py), graded cold (empty build
# folder) and warm (built, no cached grades), then re-run (every grade from the cache), by
# this tree's grader and by main's (BENCH_BASELINE=ref or none), with the ratios.
bench-grade:
	bash scripts/bench_grade.sh

# The class server (docs/classroom.md; run as root where `make setup` ran): JupyterHub on
# 127.0.0.1:8000 (NNEX4_HUB_PORT, NNEX4_HUB_IP), students' servers as their Unix users.
STUDENTS ?= 2
.PHONY: hub hub-stop hub-test hub-capacity hub-cpufair
hub: setup
	bash hub/hubctl.sh start

hub-stop:
	bash hub/hubctl.sh stop

# N test students at once; last line: hub-test: N students, NOTEBOOK PATTERN, M MiB per student ...
# HUB_TEST_ARGS: e.g. "--pattern lab --notebook 03" (hub/loadtest/loadtest.py --help)
HUB_TEST_ARGS ?=
hub-test: setup
	bash hub/install.sh
	$${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}/venv/bin/python hub/loadtest/loadtest.py --students $(STUDENTS) $(HUB_TEST_ARGS)

# docs/classroom.md's capacity table, a benchmark (about 4 1/2 hours): one hub-test per row,
# each started once the load average is below 0.5; rows appended to $(CAPACITY_OUT)/table.md
CAPACITY_OUT ?= capacity
CAPACITY_ROWS ?= 01:runall:1 01:runall:2 01:runall:4 01:runall:8 01:teacher:8 01:lab:8 \
  03:runall:1 exercise:runall:1 03:runall:8 exercise:runall:8 01:teacher:1 01:teacher:2 \
  01:teacher:4 01:lab:4 03:teacher:8 exercise:teacher:8 03:runall:2 03:runall:4 \
  exercise:runall:2 exercise:runall:4 01:lab:2 01:lab:1 exercise:teacher:4 03:teacher:4 \
  exercise:teacher:2 03:teacher:2 exercise:teacher:1 03:teacher:1 03:lab:8 exercise:lab:8 \
  03:lab:1 03:lab:2 03:lab:4 exercise:lab:1 exercise:lab:2 exercise:lab:4
hub-capacity: setup
	bash hub/install.sh
	$${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}/venv/bin/python hub/loadtest/capacity.py --out $(CAPACITY_OUT) $(CAPACITY_ROWS)

# cgroup way only (no systemd): last line: cpufair: cell latency median idle A s, ... (ratios)
hub-cpufair: setup
	bash hub/install.sh
	$${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}/venv/bin/python hub/loadtest/cpufair.py

# Two commands do all the set-up on a fresh machine (README):
#   make demo   creates .venv, installs envsuite, generates small Hopper, MoCap, StarCraft and Android datasets, prints their metrics
#   make test   creates .venv, installs envsuite with test tools (and d3rlpy, torch on the CPU), runs the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATAGEN := $(VENV)/bin/envsuite-datagen
DEMO_DIR ?= out/demo
DEMO_IDS := locomotion/hopper-random-v0 locomotion/hopper-medium-v0 locomotion/hopper-expert-v0
DEMO_MOCAP := mocap/02_01-expert-v0
DEMO_STARCRAFT := starcraft/3m-focus-fire-v0 starcraft/3m-random-v0
DEMO_ANDROID := android/general-expert-v0

.PHONY: install install-test demo test test-gymnasium-1.0 bench clean

$(VENV)/.installed: pyproject.toml
	@# MuJoCo renders offscreen on the CPU through OSMesa (envsuite-datagen render): Debian's libosmesa6
	@if ! ldconfig -p | grep -q libOSMesa; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends libosmesa6; \
	  else echo "make: libOSMesa is missing: install libosmesa6 (apt) to render MuJoCo videos" >&2; fi; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# make test also runs the d3rlpy interop test: d3rlpy 2.8.1's dependencies (the d3rlpy-deps extra, torch
# 2.13.0 on the CPU), then d3rlpy itself with --no-deps, because its gymnasium==1.0.0 pin would otherwise
# downgrade the gymnasium every other test runs on (d3rlpy runs on gymnasium 1.4; README, "d3rlpy").
D3RLPY ?= d3rlpy==2.8.1
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,d3rlpy-deps]"
	$(PY) -m pip install --quiet --no-deps "$(D3RLPY)"
	touch $@

install-test: $(VENV)/.installed-test

demo: install
	$(DATAGEN) generate $(DEMO_IDS) locomotion/hopper-medium-replay-v0 --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_IDS) --reference locomotion/hopper-medium-replay-v0 --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_MOCAP) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_MOCAP) --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_STARCRAFT) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_STARCRAFT) --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_ANDROID) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_ANDROID) --out $(DEMO_DIR)

# pytest exits 5 when it collects no test: that is a failure here, never a pass. ENVSUITE_TEST_D3RLPY=1: the
# d3rlpy interop test fails, rather than skips, if d3rlpy did not install.
test: install-test
	ENVSUITE_TEST_D3RLPY=1 $(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# The suite on gymnasium 1.0.0, the version `pip install "envsuite[d3rlpy]"` gets (d3rlpy 2.8.1 pins it): a
# separate venv, not part of make test (about 2 minutes of installs and 5 of tests on two cores). torch is the
# CPU build of make test (d3rlpy-deps): a CUDA torch brings triton, whose LLVM crashes the process when it loads
# after OSMesa's (render, then fit in one process: README, "d3rlpy").
VENV_GYM10 ?= .venv-gymnasium-1.0
test-gymnasium-1.0:
	$(PYTHON) -m venv $(VENV_GYM10)
	$(VENV_GYM10)/bin/python -m pip install --quiet -e ".[dev,d3rlpy-deps]" "$(D3RLPY)"
	$(VENV_GYM10)/bin/python -c "import gymnasium; assert gymnasium.__version__ == '1.0.0', gymnasium.__version__"
	ENVSUITE_TEST_D3RLPY=1 $(VENV_GYM10)/bin/python -m pytest -p no:cacheprovider; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test-gymnasium-1.0: pytest collected no tests" >&2; exit 1; fi; exit $$status

# Side-by-side benchmarks (not part of make test): installs the bench extra (Minari 0.5.4, jax, psutil)
bench: install
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py
	$(PY) benchmarks/mocap.py
	$(PY) benchmarks/starcraft.py
	$(PY) benchmarks/android.py

clean:
	rm -rf $(VENV) $(VENV_GYM10) $(DEMO_DIR) build dist

# Two commands do all the set-up on a fresh machine (README):
#   make demo   creates .venv, installs envsuite, generates small Hopper, MoCap, StarCraft and Android datasets, prints their metrics
#   make test   creates .venv, installs envsuite with test tools, runs the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATAGEN := $(VENV)/bin/envsuite-datagen
DEMO_DIR ?= out/demo
DEMO_IDS := locomotion/hopper-random-v0 locomotion/hopper-medium-v0 locomotion/hopper-expert-v0
DEMO_MOCAP := mocap/02_01-expert-v0
DEMO_STARCRAFT := starcraft/3m-focus-fire-v0 starcraft/3m-random-v0
DEMO_ANDROID := android/general-expert-v0

.PHONY: install demo test bench clean

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

demo: install
	$(DATAGEN) generate $(DEMO_IDS) locomotion/hopper-medium-replay-v0 --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_IDS) --reference locomotion/hopper-medium-replay-v0 --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_MOCAP) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_MOCAP) --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_STARCRAFT) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_STARCRAFT) --out $(DEMO_DIR)
	$(DATAGEN) generate $(DEMO_ANDROID) --size small --workers 2 --out $(DEMO_DIR)
	$(DATAGEN) metrics $(DEMO_ANDROID) --out $(DEMO_DIR)

# pytest exits 5 when it collects no test: that is a failure here, never a pass.
test: install
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# Side-by-side benchmarks (not part of make test): installs the bench extra (Minari 0.5.4, jax, psutil)
bench: install
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py
	$(PY) benchmarks/mocap.py
	$(PY) benchmarks/starcraft.py
	$(PY) benchmarks/android.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist

# Two commands do everything on a fresh clone:
#   make run   - set up .venv and open the browser app on the shipped demo township
#   make test  - set up .venv and run lint, type checks, the test suite, doctests and the notebooks
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run check test lint bench demo-data clean sysdeps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# System packages from Debian: a Chinese font for printed maps, Chromium for the browser
# test. Installed when running as root (as CI does); otherwise a note says what to install.
sysdeps:
	@missing=""; \
	(command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .) || missing="$$missing fonts-wqy-microhei"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: please install$$missing (Debian/Ubuntu) for printed Chinese maps and the browser test"; fi; \
	fi

# Leaflet for maps without internet, from the npm registry (served by Streamlit from static/).
LEAFLET := static/leaflet/leaflet.js
$(LEAFLET):
	@mkdir -p static/leaflet
	@if command -v npm >/dev/null; then \
	  cd static/leaflet && npm pack leaflet@1.9.4 --silent >/dev/null && \
	  tar -xzf leaflet-1.9.4.tgz --strip-components=2 package/dist && rm -f leaflet-1.9.4.tgz; \
	else echo "note: npm not found; maps load Leaflet from the internet"; fi

run: $(STAMP) sysdeps $(LEAFLET)
	$(BIN)/planning app --browser.gatherUsageStats false

check: $(STAMP)
	$(BIN)/planning check --demo --out results/demo

test: $(STAMP) sysdeps $(LEAFLET)
	$(BIN)/ruff check planning tests benchmarks data streamlit_app.py
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planning tests benchmarks data streamlit_app.py
	$(BIN)/mypy

BENCH := .venv-bench

$(BENCH)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH)/bin/python -m pip install --quiet -e . spopt
	touch $(BENCH)/.installed

# benchmarks need ../shared/data; spopt lives only in the benchmark environment
bench: $(BENCH)/.installed
	$(BENCH)/bin/python benchmarks/traveltime.py
	$(BENCH)/bin/python benchmarks/routes.py
	$(BENCH)/bin/python benchmarks/scenario.py
	$(BENCH)/bin/python benchmarks/optimise.py
	$(BENCH)/bin/python benchmarks/optimise.py --capacitated
	$(BENCH)/bin/python benchmarks/zoning.py
	$(BENCH)/bin/python benchmarks/coverage.py
	$(BENCH)/bin/python benchmarks/maps.py
	$(BENCH)/bin/python benchmarks/teachers.py
	$(BENCH)/bin/python benchmarks/costs.py
	$(BENCH)/bin/python benchmarks/province.py

demo-data: $(STAMP)
	$(BIN)/python data/make_demo.py

clean:
	rm -rf $(VENV) $(BENCH) results .pytest_cache

# The two commands of the README: `make run` and `make test`. Every install step lives here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
VENDOR := webui/static/vendor
ASSETS := $(VENDOR)/.stamp
CATALOGS := webui/translations/zh_Hans_CN/LC_MESSAGES/messages.mo

.PHONY: setup run test bench browser documents clean i18n dist

$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --quiet --upgrade pip
	$(BIN)/pip install --quiet --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Front-end packages from npm (lock file), served by the app from webui/static/vendor.
$(ASSETS): package.json package-lock.json $(wildcard webui/static/src/*)
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/signature_pad/dist/signature_pad.umd.min.js \
	   node_modules/@picocss/pico/css/pico.min.css node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	node webui/static/src/build.mjs    # bpmn-js / dmn-js bundles for the diagram pages (esbuild)
	touch $(ASSETS)

$(CATALOGS): webui/translations/zh_Hans_CN/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d webui/translations --statistics

setup: $(STAMP) $(ASSETS) $(CATALOGS)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser),
# and a CJK font so that screenshots and rendered charts show Chinese.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  echo "installing Debian's chromium and a CJK font for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium fonts-wqy-microhei fontconfig >/dev/null; \
	fi

# LibreOffice (no GUI) to convert the documents to PDF, poppler to read the PDFs back, and the Noto CJK fonts
# the documents name as fallbacks, for the document tests (tests/test_document_pdf.py) and docs/documents.md.
documents:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
	    || ! fc-list | grep -q "Noto Serif CJK"; then \
	  echo "installing LibreOffice, poppler-utils and fonts-noto-cjk for the document tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer-nogui poppler-utils fonts-noto-cjk fontconfig >/dev/null; \
	fi

# a terminal reads text log lines; production keeps the default, one JSON object per line
run: export GRIDSAFE_LOG_FORMAT ?= text
run: setup
	$(BIN)/gridsafe init
	$(BIN)/gridsafe demo
	$(BIN)/gridsafe serve --with-scheduler

# Both cores: one pytest worker each, a test file's tests on one worker (module fixtures such as the demo load once).
test: setup browser documents
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Speed and memory goals, one script per issue (figures go in the closing notes, not in tests).
# Each script takes --help; add --postgres / --db both to measure on PostgreSQL as well.
bench: setup
	$(BIN)/python bench/engine_overhead.py
	$(BIN)/python bench/inbox_scale.py --sqlite-analyze
	$(BIN)/python bench/http_throughput.py
	$(BIN)/python bench/hazard_lifecycle.py
	$(BIN)/python bench/risk_scale.py
	$(BIN)/python bench/kpi_scale.py
	$(BIN)/python bench/write_contention.py --postgres

# A wheel to install without the source tree, npm or a compiler: it carries the diagrams, the migrations,
# the built front-end assets and the compiled catalogs. `pip install dist/gridsafe-*.whl`, then
# `gridsafe init && gridsafe serve` in the folder where instance/ (database, files) should live.
dist: setup
	rm -rf build dist
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .
	rm -rf build
	@ls dist/*.whl

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(VENDOR) build dist

# For developers: refresh the message catalog after changing UI strings, then translate the new
# entries in webui/translations/zh_Hans_CN/LC_MESSAGES/messages.po (tests/test_i18n.py checks).
i18n: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -o webui/translations/messages.pot .
	$(BIN)/pybabel update -i webui/translations/messages.pot -d webui/translations --no-fuzzy-matching

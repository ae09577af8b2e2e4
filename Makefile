# The commands of the README: `make up` runs loglens, `make check` runs the fast checks (lint,
# types), `make test` runs every test. Each installs what it needs into this checkout on first use
# (.venv, node_modules); `make deps` installs, once, the system packages the browser tests need.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Node's fluent-logger for the forward-protocol tests, installed from the lock into tests/node.
NODE_DIR := tests/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
# The web client (bots/web): node_modules from its lock, its build in bots/web/dist.
WEB := bots/web
WEB_STAMP := $(WEB)/node_modules/.installed
WEB_DIST := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html package.json vite.config.ts svelte.config.js tsconfig.json)
CHROMIUM := /usr/bin/chromium
# The first Python 3.11+ found on PATH.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)

JS := exporters/javascript
# Python sources; loglens/ reaches collector/, agent/ and bots/ through symlinks, which ruff does not follow.
PY_SOURCES := loglens collector agent bots tests bench exporters/python
JS_STAMP := $(JS)/node_modules/.installed

.PHONY: syslog-daemons up deps check test lint typecheck pytest pytest-python-path faults bench fuzz native clean js chromium web \
	web-check web-lint web-unit web-e2e

up: $(STAMP) $(WEB_DIST) $(NATIVE_SO)
	$(BIN)/loglens up $(ARGS)

# --- the native ingest path (collector/native/_native.c) --------------------------------------
# Built in place where a C compiler exists (pip install -e . builds it too), rebuilt by `make up`
# and `make test` when its source changes; where it cannot be built, loglens runs on its Python
# path and says so at start (a stale build is never used: loglens compares the source's hash).
# The suffix of the interpreter the venv is made from (known before the venv exists).
EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
NATIVE_SO = collector/native/_native$(EXT_SUFFIX)
NATIVE_SOURCES := collector/native/_native.c setup.py
native: $(NATIVE_SO)

$(NATIVE_SO): $(NATIVE_SOURCES) | $(STAMP)
	@rm -f collector/native/_native.*.so
	@$(BIN)/python setup.py -q build_ext --inplace 2>&1 | grep -v -e '^copying' -e 'BetaConfiguration' -e 'warnings.warn' || true
	@if test -f $(NATIVE_SO); then echo "native ingest path built: $(NATIVE_SO)"; \
		else echo "native ingest path not built (no C compiler or Python headers?): loglens runs on its Python path"; fi

# The differential fuzzer (tests/collector/native_fuzz.py) at length, the extension built with
# AddressSanitizer and UndefinedBehaviorSanitizer (any report aborts): FUZZ_BODIES bodies.
FUZZ_BODIES ?= 1000000
FUZZ_DIR := build/fuzz
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
fuzz: $(STAMP)
	rm -rf $(FUZZ_DIR) $(FUZZ_DIR)-tmp
	LOGLENS_NATIVE_CFLAGS="$(SANITIZE)" $(BIN)/python setup.py -q build_ext --build-lib $(FUZZ_DIR) \
		--build-temp $(FUZZ_DIR)-tmp
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
		$(BIN)/python -m tests.collector.native_fuzz --bodies $(FUZZ_BODIES) $(FUZZ_ARGS) \
		--module $(FUZZ_DIR)/loglens/collector/native/_native$(EXT_SUFFIX)

# One-time setup: Debian's Chromium for the browser tests (the JS exporter's, the web client's
# e2e) with a Korean font so that the web client's screenshots show Hangul, installed by apt-get
# (as root, or through sudo), and Go with Debian's fluent-logger-golang (the forward tests build
# a Go sender offline from /usr/share/gocode), then the Python and Node packages. `make test`
# installs nothing system-wide: without Chromium it stops and says to run this.
GO_PACKAGES := golang-go golang-github-fluent-fluent-logger-golang-dev
APT_PACKAGES := chromium fonts-nanum $(GO_PACKAGES)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# --- the syslog daemons the syslog tests send through (tests/collector/test_syslog_clients.py) ------
# Debian's rsyslog and syslog-ng, not installed as the machine's daemons: their .debs (and the
# libraries they need that a Debian base lacks) are downloaded with apt-get and unpacked into
# build/syslog-daemons/root; the tests run them from there with configs of their own.
SYSLOG_DAEMONS := build/syslog-daemons
# The HTTP outputs (rsyslog's omelasticsearch, syslog-ng's http() and its scl elasticsearch-http())
# come in packages of their own and need libcurl, which a Debian base may lack (with the libraries it links).
SYSLOG_DEBS := rsyslog rsyslog-openssl rsyslog-elasticsearch libestr0 libfastjson4 liblognorm5 \
	syslog-ng-core syslog-ng-mod-http syslog-ng-scl libivykis0 libnet1 libwrap0 libpcre3 \
	libcurl4 libnghttp2-14 libpsl5 librtmp1 libssh2-1 libldap-2.5-0 libbrotli1 libsasl2-2
# Named after the list, so that a package added here is fetched on the next run.
SYSLOG_STAMP := $(SYSLOG_DAEMONS)/.installed-$(shell echo $(SYSLOG_DEBS) | md5sum | cut -c1-8)
syslog-daemons: $(SYSLOG_STAMP)

$(SYSLOG_STAMP):
	@command -v apt-get >/dev/null || { echo "the syslog tests need Debian's apt-get to fetch rsyslog and syslog-ng"; exit 1; }
	rm -rf $(SYSLOG_DAEMONS) && mkdir -p $(SYSLOG_DAEMONS)/debs $(SYSLOG_DAEMONS)/root
	cd $(SYSLOG_DAEMONS)/debs && { apt-get download -qq $(SYSLOG_DEBS) 2>/dev/null || \
		{ $(SUDO) apt-get update -qq && apt-get download -qq $(SYSLOG_DEBS); }; }
	for deb in $(SYSLOG_DAEMONS)/debs/*.deb; do dpkg-deb -x $$deb $(SYSLOG_DAEMONS)/root; done
	touch $@

deps: $(STAMP) $(NODE_STAMP) $(JS_STAMP) $(WEB_STAMP) $(SYSLOG_STAMP)
	@if test -x $(CHROMIUM) && fc-list :lang=ko 2>/dev/null | grep -q . && command -v go >/dev/null && \
		test -d /usr/share/gocode/src/github.com/fluent/fluent-logger-golang; then \
		echo "deps: Chromium, a Korean font and Go's fluent-logger are installed"; \
	elif ! command -v apt-get >/dev/null; then \
		echo "deps: no apt-get here: install Chromium at $(CHROMIUM) and a Korean font (Debian: $(APT_PACKAGES))"; exit 1; \
	else \
		echo "deps: apt-get install $(APT_PACKAGES)" && \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-nanum >/dev/null && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(GO_PACKAGES) >/dev/null; \
	fi

# The fast checks, before every commit (the pre-commit hook runs them): ruff, mypy, svelte-check
# and ESLint, side by side: about 12 s once mypy's cache is warm (ESLint's type-aware rules most of it).
check:
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck web-check web-lint

test: chromium check js pytest pytest-python-path web-unit web-e2e

lint: $(STAMP)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(NODE_STAMP) $(SYSLOG_STAMP) js $(NATIVE_SO)
	$(BIN)/pytest $(PYTEST_ARGS)

# The collector's suite once more with the native path forced off: the Python path, which is
# what a machine without a C compiler runs, stays tested (pytest above runs it on, when built).
pytest-python-path: $(STAMP) $(NODE_STAMP) $(SYSLOG_STAMP)
	LOGLENS_NATIVE=off $(BIN)/pytest tests/collector $(PYTEST_ARGS)

# The fault suite, tests/faults/: its quick scenarios (run by `make test` too) and the long ones
# marked faults (the whole process group killed, the database stopped for 15 s, its table locked
# for 10 s); each prints sent / acknowledged / stored / missing / duplicated. A few minutes.
faults: $(STAMP)
	$(BIN)/pytest tests/faults -m "" -s $(PYTEST_ARGS)

# The JavaScript exporter: type-checked (tsc --strict) and built; its node --test suites run
# under pytest (tests/exporters/test_javascript_exporter.py), the browser one in Chromium.
js: $(JS_STAMP) chromium
	cd $(JS) && npm run --silent typecheck && npm run --silent build

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	@command -v npm >/dev/null || { echo "the JavaScript exporter needs Node 18+ and npm on PATH"; exit 1; }
	cd $(JS) && npm ci --no-audit --no-fund
	touch $(JS_STAMP)

# The browser tests (the JS exporter's, the web client's e2e) drive Debian's Chromium, which
# `make deps` installs.
chromium:
	@test -x $(CHROMIUM) || { echo "The browser tests need Chromium at $(CHROMIUM): run 'make deps' once"; \
		echo "(it installs Debian's chromium and fonts-nanum with apt-get)"; exit 1; }
	@fc-list :lang=ko 2>/dev/null | grep -q . || \
		echo "note: no Korean font installed ('make deps' installs fonts-nanum): Hangul shows as boxes in screenshots"

bench: $(STAMP)
	$(BIN)/python -m bench

$(STAMP): pyproject.toml exporters/python/pyproject.toml
	@test -n "$(PYTHON)" || { echo "loglens needs Python 3.11 or newer on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e 'exporters/python[grpc]'
	touch $(STAMP)

# Reinstalled when node_modules is missing or the lock changed.
$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "the tests need Node 20+ and npm on PATH"; exit 1; }
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# --- the web client ------------------------------------------------------------------------
# `make web`: types (svelte-check, TypeScript strict, warnings fail), ESLint (type-aware), Vitest,
# the production build, then the end-to-end suite (a real `loglens up --demo`, headless Chromium).

web: web-check web-lint web-unit web-e2e

web-check: $(WEB_STAMP)
	cd $(WEB) && npm run --silent check

web-lint: $(WEB_STAMP)
	cd $(WEB) && npm run --silent lint

web-unit: $(WEB_STAMP)
	cd $(WEB) && npm test --silent

web-e2e: $(STAMP) $(WEB_DIST) chromium
	cd $(WEB) && npm run --silent e2e

# Rebuilt when missing or older than any source (`make up` serves it).
$(WEB_DIST): $(WEB_STAMP) $(WEB_SOURCES)
	cd $(WEB) && npm run --silent build

$(WEB_STAMP): $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "the web client needs Node 20.19+ and npm on PATH"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build collector/native/_native.*.so $(NODE_DIR)/node_modules $(JS)/node_modules $(JS)/dist \
		$(WEB)/node_modules $(WEB)/dist

# Doorstep: `make demo` runs the demo site, `make test` runs the test suite.
# Both set everything up on a fresh machine (Python venv, npm packages, browser for e2e).

PY := .venv/bin/python
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist); a file's tests stay on one worker, so a
# module's shared fixture (the demo street, a persona world) is built once. JOBS=0: one process.
JOBS ?= auto
BENCH ?=
HOST ?= 127.0.0.1:8000

.PHONY: demo test install browser nginx prod-check bundle bundle-check lint bench serve clean

install: .venv/.installed node_modules/.installed

.venv/.installed: requirements.lock
	python3 -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip uv
	.venv/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's chromium; install it when missing, with the CJK fonts pages
# render in (Noto) and PDFs embed (AR PL UMing, a TrueType Ming face), and poppler-utils,
# whose pdffonts/pdftotext the document tests read PDFs with.
DEBIAN_PACKAGES := chromium fonts-noto-cjk fonts-arphic-uming poppler-utils
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdffonts >/dev/null 2>&1 \
		|| ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! fc-list 2>/dev/null | grep -qi "UMing"; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
		else \
			echo "Please install $(DEBIAN_PACKAGES) (apt-get install $(DEBIAN_PACKAGES))"; exit 1; \
		fi; \
	fi

# The production profile needs Debian's nginx; install it when missing.
nginx:
	@if ! command -v nginx >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
		else \
			echo "Please install nginx (apt-get install nginx-light)"; exit 1; \
		fi; \
	fi

# The production profile (deploy/) on loopback: nginx over HTTPS, gunicorn, Celery worker
# and beat on Redis, PostgreSQL; check --deploy and a browser smoke test through nginx.
prod-check: install browser nginx
	$(PY) deploy/prod_check.py

# Offline install bundle for an intranet machine (runtime wheels, npm cache, INSTALL.md) in
# dist/doorstep-bundle; rebuilt when its inputs change (rm -rf dist to force it).
bundle: dist/doorstep-bundle/SHA256SUMS

dist/doorstep-bundle/SHA256SUMS: requirements.in requirements.lock package.json package-lock.json deploy/bundle.sh | install
	bash deploy/bundle.sh

# Proves the bundle installs with no network: fresh venv, plain pip and npm ci offline, Django check.
bundle-check: bundle
	bash deploy/bundle_check.sh

# The demo profile: DEBUG off over plain HTTP, keys made under var/ on first run.
demo: export DOORSTEP_PROFILE = demo
demo: export DOORSTEP_ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(firstword $(subst :, ,$(HOST)))
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --preset xueyuanlu --site http://$(subst 0.0.0.0,127.0.0.1,$(HOST))
	$(PY) manage.py runserver $(HOST)

test: install browser
	$(PY) -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/mypy doorstep config

bench: install .venv/.bench-installed
	$(PY) bench/run.py $(BENCH)

.venv/.bench-installed: bench/requirements.txt | install
	.venv/bin/uv pip install --quiet --python $(PY) -r bench/requirements.txt
	touch $@

clean:
	rm -rf .venv node_modules var staticfiles

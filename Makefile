# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint messages translations check migrate seed clean fuzz faults load backup restore backup-check lock

# Installs exactly the lock (pins + hashes, pip itself included); re-runs whenever a lock changes.
$(VENV)/.installed: requirements.lock requirements-dev.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# Regenerate the locks from requirements.in / requirements-dev.in (Python 3.11, Linux x86_64).
# Keeps the current pins where the .in files allow them; `make lock UPGRADE=1` moves everything to the newest.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(VENV)/.installed
	$(PIP_COMPILE) -o requirements.lock requirements.in
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.in

# Translations: `make messages` collects every translatable string into locale/*/LC_MESSAGES/django.po
# (for translators, committed); `make translations` compiles them to .mo (built, never committed).
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=static/vendor --ignore=bench --ignore=staticfiles --ignore=node_modules --ignore=tests --ignore=*/tests/*
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l ru -l zh_Hans $(MAKEMESSAGES_IGNORE) --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l ru -l zh_Hans $(MAKEMESSAGES_IGNORE) --no-obsolete

translations: $(VENV)/.installed
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt not found: install gettext (apt-get install gettext)"; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv -v 0

run: $(VENV)/.installed translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Open http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed translations
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: $(VENV)/.installed
	DJANGO_ENV=production SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(64))") \
	  ALLOWED_HOSTS=crm.example.com $(PY) manage.py check --deploy --fail-level WARNING

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

seed: $(VENV)/.installed
	$(PY) manage.py seed_demo

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# --- hardening (README, "Hardening") -----------------------------------------------------------------------------
fuzz: $(VENV)/.installed
	scripts/fuzz.sh

faults: $(VENV)/.installed
	@test -n "$$REDIS_URL" || { echo "make faults needs REDIS_URL and a PostgreSQL DATABASE_URL (as in .ci/run)"; exit 2; }
	$(VENV)/bin/pytest tests/faults tests/test_real_worker.py

load: $(VENV)/.installed
	$(PY) bench/load/run.py

backup:
	scripts/backup.sh $(FILE)

restore:
	scripts/restore.sh $(FILE)

backup-check: $(VENV)/.installed
	scripts/check_backup.sh

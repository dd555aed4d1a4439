# The README's commands. Everything runs from .venv, which the first target creates.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails point where the site is served (an RMA_PUBLIC_BASE_URL in the environment wins).
PUBLIC_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
SITE_ENV := RMA_PUBLIC_BASE_URL=$${RMA_PUBLIC_BASE_URL:-http://$(PUBLIC_HOST):$(PORT)}
PYTEST_ARGS ?= -n auto

.PHONY: run test lint format migrate seed serve worker beat serve-prod clean messages install lock

# The whole dependency tree, pinned with hashes (requirements/dev.txt, compiled from requirements/*.in by
# `make lock`): pip refuses any file whose hash is not in the lock.
$(STAMP): requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	@touch $(STAMP)

install: $(STAMP)

# After adding or changing a package in requirements/*.in: recompile both locks (README "Dependencies").
PIP_TOOLS := pip-tools==7.6.2
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_TOOLS)
	cd requirements && ../$(BIN)/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) -o production.txt production.in
	cd requirements && ../$(BIN)/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) -o dev.txt dev.in

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(SITE_ENV) $(BIN)/python manage.py seed_demo --once

run: seed
	$(SITE_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core rma diagnostics config demo tests/generators

# The customers' languages (README "Languages"): extract the marked texts into every catalogue, and
# compile the catalogues (msgfmt, from GNU gettext) into the committed .mo files.
LOCALES := fr es pt_BR ar
messages: $(STAMP)
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete --add-location=file \
		-i tests -i benchmarks -i .venv -i var -i static
	$(BIN)/python manage.py compilemessages $(addprefix -l ,$(LOCALES)) --ignore .venv

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production (README "Production"): the environment holds DJANGO_SETTINGS_MODULE=config.settings.production,
# DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL and CACHE_URL.
WORKER_CONCURRENCY ?= 4
# Queues this worker consumes (default: all of them). A worker of its own for customer mail keeps it from ever
# waiting behind bulk mail: make worker WORKER_QUEUES=customer-mail, and another with bulk-mail,webhooks,...
WORKER_QUEUES ?=

serve-prod: $(STAMP)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.production} \
		$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.production} \
		$(BIN)/gunicorn --config config/gunicorn.py config.wsgi

worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=$(WORKER_CONCURRENCY) --without-gossip --without-mingle \
		$(if $(WORKER_QUEUES),--queues=$(WORKER_QUEUES))

beat: $(STAMP)
	@mkdir -p var
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=$${CELERY_BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}

clean:
	rm -rf $(VENV) var

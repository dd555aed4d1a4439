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

.PHONY: run test lint format migrate seed serve worker beat serve-prod clean messages

$(STAMP): requirements/base.txt requirements/dev.txt requirements/production.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

install: $(STAMP)

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

serve-prod: $(STAMP)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.production} \
		$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.production} \
		$(BIN)/gunicorn --config config/gunicorn.py config.wsgi

worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=$(WORKER_CONCURRENCY) --without-gossip --without-mingle

beat: $(STAMP)
	@mkdir -p var
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=$${CELERY_BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}

clean:
	rm -rf $(VENV) var

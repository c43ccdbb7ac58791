# Two commands: `make run` (set up and serve the demo portal) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint check bench stack stack-stop load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Портал: http://$(HOST)/  (остановить: Ctrl+C)"
	@# The task worker (imports of large workbooks) runs beside the web server and stops with it.
	$(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

check: install
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-not-a-real-secret-0123456789abcdefghij \
	ALLOWED_HOSTS=portal.example.ru $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/bench_selectors.py

# The production-like stack on one machine (DEBUG=0, gunicorn, a task worker, local PostgreSQL):
# deploy/stack.sh; STACK_DATABASE=… picks the database (default mentoring_stack).
stack: install
	PYTHON=$(BIN)/python deploy/stack.sh start

stack-stop:
	PYTHON=$(BIN)/python deploy/stack.sh stop

# The load test on the national-scale data (bench/load/README.md): ≈ 10 min the first time.
load: install
	$(BIN)/python -m pip install --quiet -e ".[load]"
	test -s bench/load/.users.json || ( $(BIN)/python bench/generate.py && $(BIN)/python bench/load/prepare.py )
	PYTHON=$(BIN)/python bench/load/run.sh

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles *.egg-info

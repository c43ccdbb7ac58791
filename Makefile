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
	@# The daily notifications once, so that the demo's bell has notices; no letters (the console would print a thousand).
	$(BIN)/python manage.py send_notifications --no-email
	@echo "Портал: http://$(HOST)/  (остановить: Ctrl+C)"
	@# The task worker (imports of large workbooks) runs beside the web server and stops with it.
	$(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST)

# Two groups (docs/architecture.md §11): everything but the stack tests on two processes
# (pytest-xdist, one test database each), then the stack tests (real workers, servers, killed
# processes) alone. Both run even if the first fails; `make test` fails if either does, or if
# either group collects no test. `make test PYTEST_ARGS=...` is one plain run of those arguments.
XDIST ?= -n 2 --dist loadgroup
test: install
ifeq ($(strip $(PYTEST_ARGS)),)
	status=0; \
	$(BIN)/pytest $(XDIST) -m "not stack" || status=$$?; \
	$(BIN)/pytest -m stack || status=$$?; \
	exit $$status
else
	$(BIN)/pytest $(PYTEST_ARGS)
endif

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

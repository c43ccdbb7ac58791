#!/usr/bin/env bash
# The production-like stack on one machine, for the load test and for trying a release:
# gunicorn (DEBUG=0) + N task workers against the local PostgreSQL.
#
#   deploy/stack.sh start     # create/migrate the database, collectstatic, start gunicorn and workers
#   deploy/stack.sh stop      # stop them cleanly (SIGTERM, wait; workers finish their current task)
#   deploy/stack.sh status
#
# Environment (all optional):
#   STACK_DATABASE   database name (default mentoring_stack; created if missing, never dropped)
#   PG_SERVER        postgres://postgres@127.0.0.1:5432
#   STACK_BIND       127.0.0.1:8001
#   WEB_WORKERS      gunicorn workers (default 2 × cores + 1)
#   TASK_WORKERS     db_worker processes (default 2, as in the recipe: at most two PDFs render at once)
#   MAX_REQUESTS     recycle a gunicorn worker after this many requests (2000; 0: never)
#   STACK_DIR        state: secret key, pid files, logs, static and media roots (/tmp/mentoring-stack)
#   PYTHON           interpreter of the virtualenv (default .venv/bin/python)
#
# Loopback has no TLS, so SECURE_SSL_REDIRECT=0. Everything else is production: the session and
# CSRF cookies are marked Secure and SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto, as behind
# nginx. A client must therefore send «X-Forwarded-Proto: https» (what nginx adds) and, for POSTs,
# an Origin of https://<host>; the load client (bench/load/locustfile.py) does both and keeps the
# Secure cookies over plain http. Curl: curl -H 'X-Forwarded-Proto: https' http://127.0.0.1:8001/login/
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STACK_DATABASE=${STACK_DATABASE:-mentoring_stack}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
STACK_BIND=${STACK_BIND:-127.0.0.1:8001}
WEB_WORKERS=${WEB_WORKERS:-$((2 * $(nproc) + 1))}
TASK_WORKERS=${TASK_WORKERS:-2}
STACK_DIR=${STACK_DIR:-/tmp/mentoring-stack}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
VENV_BIN=$(dirname "$PYTHON")

environment() {
    mkdir -p "$STACK_DIR/static" "$STACK_DIR/media" "$STACK_DIR/log"
    if [ ! -s "$STACK_DIR/secret_key" ]; then
        (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$STACK_DIR/secret_key")
    fi
    export DEBUG=0
    export SECRET_KEY=$(cat "$STACK_DIR/secret_key")
    export ALLOWED_HOSTS=127.0.0.1,localhost
    export DATABASE_URL="$PG_SERVER/$STACK_DATABASE"
    export CONN_MAX_AGE=${CONN_MAX_AGE:-60}
    export SECURE_SSL_REDIRECT=0
    export STATIC_ROOT="$STACK_DIR/static"
    export MEDIA_ROOT="$STACK_DIR/media"
    export LOG_LEVEL=${LOG_LEVEL:-WARNING}
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    environment
    if alive "$STACK_DIR/gunicorn.pid"; then
        echo "already running (gunicorn pid $(cat "$STACK_DIR/gunicorn.pid")); deploy/stack.sh stop first" >&2
        exit 1
    fi
    if ! psql "$PG_SERVER/postgres" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$STACK_DATABASE'" | grep -q 1; then
        echo "creating database $STACK_DATABASE"
        createdb --dbname="$PG_SERVER/postgres" "$STACK_DATABASE" 2>/dev/null \
            || psql "$PG_SERVER/postgres" -Xqc "CREATE DATABASE \"$STACK_DATABASE\""
    fi
    # What a release does (deploy/README.md, «Выпуск новой версии»).
    "$PYTHON" manage.py migrate --noinput
    "$PYTHON" manage.py collectstatic --noinput --verbosity 0
    "$PYTHON" manage.py check --deploy --fail-level ERROR

    "$VENV_BIN/gunicorn" mentoring_portal.wsgi \
        --bind "$STACK_BIND" --workers "$WEB_WORKERS" --timeout 60 --graceful-timeout 30 \
        --max-requests "${MAX_REQUESTS:-2000}" --max-requests-jitter 200 \
        --pid "$STACK_DIR/gunicorn.pid" --daemon \
        --access-logfile "$STACK_DIR/log/access.log" --error-logfile "$STACK_DIR/log/gunicorn.log"
    for n in $(seq 1 "$TASK_WORKERS"); do
        # setsid: the worker outlives this shell and gets no terminal signals; stop sends SIGTERM.
        setsid "$PYTHON" manage.py db_worker --interval 1 --no-reload --worker-id "stack-$n" \
            >>"$STACK_DIR/log/worker-$n.log" 2>&1 </dev/null &
        echo $! >"$STACK_DIR/worker-$n.pid"
    done
    for _ in $(seq 1 60); do
        if curl -fs -o /dev/null -H 'X-Forwarded-Proto: https' "http://$STACK_BIND/login/"; then
            echo "stack up: http://$STACK_BIND/ (database $STACK_DATABASE, $WEB_WORKERS web workers," \
                "$TASK_WORKERS task workers; logs in $STACK_DIR/log)"
            return 0
        fi
        sleep 0.5
    done
    echo "gunicorn did not answer on $STACK_BIND within 30 s; see $STACK_DIR/log/gunicorn.log" >&2
    exit 1
}

stop_one() {  # pid file, name, seconds to wait
    local pidfile=$1 name=$2 wait=$3 pid
    alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 $((wait * 2))); do
        kill -0 "$pid" 2>/dev/null || { echo "$name stopped"; rm -f "$pidfile"; return 0; }
        sleep 0.5
    done
    echo "$name (pid $pid) still running after $wait s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

stop() {
    stop_one "$STACK_DIR/gunicorn.pid" gunicorn 35
    for pidfile in "$STACK_DIR"/worker-*.pid; do
        [ -e "$pidfile" ] || continue
        # A worker finishes its current task first (an import or a report: at most 60 s).
        stop_one "$pidfile" "task worker $(basename "$pidfile" .pid)" 70
    done
}

status() {
    local any=1
    for pidfile in "$STACK_DIR"/gunicorn.pid "$STACK_DIR"/worker-*.pid; do
        [ -e "$pidfile" ] || continue
        if alive "$pidfile"; then echo "$(basename "$pidfile" .pid): running, pid $(cat "$pidfile")"; any=0
        else echo "$(basename "$pidfile" .pid): not running"; fi
    done
    return $any
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

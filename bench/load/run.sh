#!/usr/bin/env bash
# The load test end to end: the production-like stack on the bench database, locust headless,
# the figures printed and kept in bench/out/load/.
#
#   bench/load/run.sh                        # 200 users, ramp 2/s, 120 s measured after the ramp
#   USERS=100 RATE=2 MEASURE=60 bench/load/run.sh
#
# Needs bench/generate.py and bench/load/prepare.py run on LOAD_DATABASE (default mentoring_bench).
# Statistics are reset when every user has logged in (bench/load/locustfile.py): the figures are
# those of the steady state, the logins of the ramp (PBKDF2, ≈ 0.5 s of CPU each) are not in them;
# the test then runs MEASURE seconds. The load average is sampled meanwhile (uptime.log).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
export PYTHON
export STACK_DATABASE=${LOAD_DATABASE:-mentoring_bench}
export STACK_DIR=${STACK_DIR:-/tmp/mentoring-stack-load}
export MAX_REQUESTS=0  # no worker recycling during the test: its CPU would leave the accounting
USERS=${USERS:-200}
RATE=${RATE:-2}
MEASURE=${MEASURE:-120}
HOST=http://${STACK_BIND:-127.0.0.1:8001}
OUT=${OUT:-$ROOT/bench/out/load}
RAMP=$(( (USERS + RATE - 1) / RATE ))
mkdir -p "$OUT"

[ -s bench/load/.users.json ] || { echo "run bench/load/prepare.py --database $STACK_DATABASE first" >&2; exit 3; }
deploy/stack.sh start
trap 'deploy/stack.sh stop' EXIT

echo "load average before the test: $(cat /proc/loadavg)"
rm -f "$OUT"/uptime.log "$OUT"/cpu.json
LOAD_MEASURE=$MEASURE LOAD_LOADAVG_FILE="$OUT/uptime.log" LOAD_CPU_FILE="$OUT/cpu.json" \
LOAD_GUNICORN_PID=$(cat "$STACK_DIR/gunicorn.pid") LOAD_DATABASE_URL="${PG_SERVER:-postgres://postgres@127.0.0.1:5432}/$STACK_DATABASE" \
"$(dirname "$PYTHON")/locust" -f bench/load/locustfile.py --host "$HOST" --headless \
    -u "$USERS" -r "$RATE" -t "$((RAMP + 300 + MEASURE))s" --stop-timeout 10 \
    --csv "$OUT/locust" --only-summary --loglevel WARNING 2>"$OUT/locust.log" || true
"$PYTHON" bench/load/summarize.py "$OUT/locust_stats.csv" "$OUT/locust_failures.csv" "$OUT/uptime.log" \
    --cpu "$OUT/cpu.json" \
    --users "$USERS" --measure "$MEASURE"

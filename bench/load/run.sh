#!/usr/bin/env bash
# The load test end to end: the production-like stack on the bench database, locust headless,
# the figures printed and kept in bench/out/load/.
#
#   bench/load/run.sh                        # 200 users, ramp 2/s, 120 s measured after the ramp
#   USERS=100 RATE=2 MEASURE=60 bench/load/run.sh
#
# Needs bench/generate.py and bench/load/prepare.py run on LOAD_DATABASE (default mentoring_bench).
# Statistics are reset when the ramp ends (--reset-stats): the figures are those of the steady
# state, the logins of the ramp (PBKDF2, ≈ 0.5 s of CPU each) are not in them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
export PYTHON
export STACK_DATABASE=${LOAD_DATABASE:-mentoring_bench}
export STACK_DIR=${STACK_DIR:-/tmp/mentoring-stack-load}
USERS=${USERS:-200}
RATE=${RATE:-2}
MEASURE=${MEASURE:-120}
HOST=http://${STACK_BIND:-127.0.0.1:8001}
OUT=${OUT:-$ROOT/bench/out/load}
RAMP=$(( (USERS + RATE - 1) / RATE ))
mkdir -p "$OUT"

[ -s bench/load/.users.json ] || { echo "run bench/load/prepare.py --database $STACK_DATABASE first" >&2; exit 3; }
deploy/stack.sh start
trap 'kill "$sampler" 2>/dev/null || true; deploy/stack.sh stop' EXIT

# The load average during the measured part, every 10 s.
( sleep "$RAMP"; while :; do uptime; sleep 10; done ) >"$OUT/uptime.log" 2>&1 &
sampler=$!

"$(dirname "$PYTHON")/locust" -f bench/load/locustfile.py --host "$HOST" --headless \
    -u "$USERS" -r "$RATE" -t "$((RAMP + MEASURE))s" --reset-stats --stop-timeout 10 \
    --csv "$OUT/locust" --only-summary --loglevel WARNING 2>"$OUT/locust.log" || true
"$PYTHON" bench/load/summarize.py "$OUT/locust_stats.csv" "$OUT/locust_failures.csv" "$OUT/uptime.log" \
    --users "$USERS" --measure "$MEASURE"

#!/usr/bin/env bash
# docs/reliability.md #56: wrk on one curator's list of mentees with a session cookie, against the stack.
#
#   bench/load/wrk.sh                       # wrk -t4 -c50 -d60s --latency, /mentees/
#   DURATION=30s URL_PATH=/pairs/ bench/load/wrk.sh
#
# Starts deploy/stack.sh on LOAD_DATABASE (default mentoring_bench), logs one curator of
# bench/load/.users.json in through the login form (one PBKDF2), and runs wrk with the session and
# CSRF cookies and «X-Forwarded-Proto: https» (as nginx would send). wrk counts non-2xx responses
# («Non-2xx or 3xx responses»): a lost session would show up there as redirects to the login page,
# so the script also checks the last response is the list itself.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
export PYTHON STACK_DATABASE=${LOAD_DATABASE:-mentoring_bench} STACK_DIR=${STACK_DIR:-/tmp/mentoring-stack-load}
BIND=${STACK_BIND:-127.0.0.1:8001}
URL_PATH=${URL_PATH:-/mentees/}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 2; }
deploy/stack.sh start
trap 'deploy/stack.sh stop' EXIT

cookie=$("$PYTHON" - "$BIND" <<'PY'
import json, re, sys, urllib.parse, urllib.request, http.cookiejar
bind = sys.argv[1]
data = json.load(open("bench/load/.users.json", encoding="utf-8"))
jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy())
jar._policy.return_ok_secure = lambda cookie, request: True  # Secure cookies over loopback http
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
opener.addheaders = [("X-Forwarded-Proto", "https")]
page = opener.open(f"http://{bind}/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode(
    {"csrfmiddlewaretoken": token, "username": data["curators"][0]["username"], "password": data["password"]}
).encode()
request = urllib.request.Request(f"http://{bind}/login/", data=form, headers={"Origin": f"https://{bind}"})
opener.open(request).read()
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
)
case $cookie in *sessionid=*) ;; *) echo "login failed: no session cookie" >&2; exit 1 ;; esac
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -H 'X-Forwarded-Proto: https' "http://$BIND$URL_PATH")
[ "$check" = 200 ] || { echo "GET $URL_PATH with the session gave $check" >&2; exit 1; }
echo "load average before: $(cat /proc/loadavg)"
wrk -t"${THREADS:-4}" -c"${CONNECTIONS:-50}" -d"${DURATION:-60s}" --latency --timeout 10s \
    -H "Cookie: $cookie" -H 'X-Forwarded-Proto: https' "http://$BIND$URL_PATH"
echo "load average after: $(cat /proc/loadavg)"
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -H 'X-Forwarded-Proto: https' "http://$BIND$URL_PATH")
echo "last GET $URL_PATH: $check"

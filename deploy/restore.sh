#!/usr/bin/env bash
# Restore a backup of deploy/backup.sh into an EMPTY database and check it (docs/reliability.md #51).
#
#   deploy/restore.sh BACKUP_FILE TARGET_DATABASE_URL
#
#   createdb -O mentoring mentoring_restore            # an empty database
#   deploy/restore.sh /var/backups/mentoring/mentoring-20261124-023000.dump.gpg \
#       postgres://mentoring:…@127.0.0.1:5432/mentoring_restore
#
# BACKUP_FILE may be encrypted (.gpg: decrypted with the private backup key in the caller's
# keyring). Steps: refuse a non-empty target; pg_restore --exit-on-error (parallel jobs); then, with
# DATABASE_URL pointing at the target, `manage.py migrate --check` (the code's migrations match the
# restored schema) and the row counts of the key tables. Prints the time each step took; the
# whole must stay within the RTO (≤ 4 h, docs/reliability.md §2). Switching the portal over is a separate,
# deliberate step (deploy/README.md, «Восстановление»).
#
# Environment: PYTHON (the virtualenv's python; default /srv/mentoring/venv/bin/python, or
# .venv/bin/python next to this checkout), RESTORE_JOBS (pg_restore -j, default 2).
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
backup=$1 target=$2
APP_DIR=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    PYTHON=/srv/mentoring/venv/bin/python
    [ -x "$PYTHON" ] || PYTHON=$APP_DIR/.venv/bin/python
fi
RESTORE_JOBS=${RESTORE_JOBS:-2}
[ -r "$backup" ] || { echo "restore.sh: cannot read $backup" >&2; exit 2; }

tables=$(psql "$target" -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != 0 ]; then
    echo "restore.sh: the target database is not empty ($tables tables): restore only into an empty one" >&2
    exit 3
fi

started=$(date +%s.%N)
step() { awk -v now="$(date +%s.%N)" -v t0="$2" -v label="$1" 'BEGIN { printf "  %-40s %6.1f s\n", label, now - t0 }'; }

if [[ $backup == *.sha256 ]]; then echo "restore.sh: give the backup, not its checksum" >&2; exit 2; fi
if [ -r "$backup.sha256" ]; then
    (cd "$(dirname "$backup")" && sha256sum --check --quiet "$(basename "$backup").sha256") \
        || { echo "restore.sh: checksum mismatch: $backup is damaged" >&2; exit 4; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dump=$backup
if [[ $backup == *.gpg ]]; then
    t=$(date +%s.%N)
    dump=$work/restore.dump
    gpg --batch --quiet --output "$dump" --decrypt "$backup"
    step "gpg --decrypt" "$t"
fi

t=$(date +%s.%N)
pg_restore --exit-on-error --no-owner --jobs="$RESTORE_JOBS" --dbname="$target" "$dump"
step "pg_restore" "$t"

t=$(date +%s.%N)
# The check needs production settings only to start: the environment's SECRET_KEY, or a random one.
key=${SECRET_KEY:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')}
(cd "$APP_DIR" && DATABASE_URL=$target DEBUG=0 SECRET_KEY=$key ALLOWED_HOSTS=${ALLOWED_HOSTS:-localhost} \
    "$PYTHON" manage.py migrate --check --noinput >/dev/null) \
    || { echo "restore.sh: migrate --check failed: the restored schema does not match this code" >&2; exit 5; }
step "manage.py migrate --check" "$t"

echo "  row counts:"
psql "$target" -XAtq -F ' ' <<'SQL' | while read -r table rows; do printf '    %-36s %12s\n' "$table" "$rows"; done
SELECT 'registry_organization', count(*) FROM registry_organization
UNION ALL SELECT 'registry_person', count(*) FROM registry_person
UNION ALL SELECT 'registry_mentorship', count(*) FROM registry_mentorship
UNION ALL SELECT 'registry_mentorshiplink', count(*) FROM registry_mentorshiplink
UNION ALL SELECT 'registry_basemembership', count(*) FROM registry_basemembership
UNION ALL SELECT 'monitoring_submission', count(*) FROM monitoring_submission
UNION ALL SELECT 'monitoring_submissionvalue', count(*) FROM monitoring_submissionvalue
UNION ALL SELECT 'auth_user', count(*) FROM auth_user
UNION ALL SELECT 'django_migrations', count(*) FROM django_migrations;
SQL
step "restore total" "$started"

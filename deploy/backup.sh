#!/usr/bin/env bash
# Nightly backup of the portal (docs/reliability.md §2 «Backups»): pg_dump -Fc of the database and a tar of
# MEDIA_ROOT, encrypted with gpg for the backup key, written atomically, rotated.
# Run by mentoring-backup.timer, or by hand: sudo -u mentoring env $(cat /etc/mentoring/env) deploy/backup.sh
#
# Environment: DATABASE_URL and MEDIA_ROOT (/etc/mentoring/env), and (/etc/mentoring/backup.env):
#   BACKUP_DIR            where the files go (default /var/backups/mentoring): a disk or a server
#                         in Russia (152-ФЗ art. 18 §5), not the database's own disk
#   BACKUP_GPG_RECIPIENT  the public key the files are encrypted for (its private key is kept
#                         offline, by two people); required unless BACKUP_ENCRYPT=0
#   BACKUP_ENCRYPT        1 (default); 0 only for a restore drill on scratch data
#   BACKUP_MEDIA          1 (default): also archive MEDIA_ROOT
#   BACKUP_KEEP_DAYS      daily copies kept (default 30)
#   BACKUP_KEEP_MONTHS    the copies of the 1st of each month kept this many months (default 12)
# Expiry matters: a person's data destroyed on request lives on in the copies until they expire
# (at most BACKUP_KEEP_MONTHS months); the destruction act says so.
# Prints the path of the database dump as its last line.
set -euo pipefail
# `dump=$(seal …)` runs seal in a command substitution, where bash drops `set -e` unless told:
# without this a failed gpg would go on to delete the plain dump and report success.
shopt -s inherit_errexit
umask 077

: "${DATABASE_URL:?DATABASE_URL is not set (EnvironmentFile=/etc/mentoring/env)}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/mentoring}
BACKUP_ENCRYPT=${BACKUP_ENCRYPT:-1}
BACKUP_MEDIA=${BACKUP_MEDIA:-1}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-30}
BACKUP_KEEP_MONTHS=${BACKUP_KEEP_MONTHS:-12}

if [ "$BACKUP_ENCRYPT" = 1 ] && [ -z "${BACKUP_GPG_RECIPIENT:-}" ]; then
    echo "backup.sh: set BACKUP_GPG_RECIPIENT (the backup key) or, for a drill only, BACKUP_ENCRYPT=0" >&2
    exit 2
fi
mkdir -p "$BACKUP_DIR"
stamp=$(date +%Y%m%d-%H%M%S)
name="mentoring-$stamp"

# Write to .partial, rename when complete: a copy cut short by a full disk or a kill is never
# mistaken for a good one.
seal() {  # file → encrypted (or not) final file; prints the final path
    local src=$1 dst=$1
    if [ "$BACKUP_ENCRYPT" = 1 ]; then
        dst=$1.gpg
        if ! gpg --batch --yes --trust-model always --recipient "$BACKUP_GPG_RECIPIENT" \
            --output "$dst.partial" --encrypt "$src"; then
            rm -f "$dst.partial"
            echo "backup.sh: gpg failed; the unencrypted $src is removed, no copy made" >&2
            rm -f "$src"
            return 1
        fi
        rm -f "$src"
        mv "$dst.partial" "$dst"
    fi
    sha256sum "$dst" | sed "s|  .*/|  |" >"$dst.sha256"
    echo "$dst"
}

started=$(date +%s)
pg_dump --format=custom --compress=6 --file="$BACKUP_DIR/$name.dump.partial" "$DATABASE_URL"
mv "$BACKUP_DIR/$name.dump.partial" "$BACKUP_DIR/$name.dump"
dump=$(seal "$BACKUP_DIR/$name.dump")

if [ "$BACKUP_MEDIA" = 1 ] && [ -n "${MEDIA_ROOT:-}" ] && [ -d "$MEDIA_ROOT" ]; then
    tar -C "$MEDIA_ROOT" -czf "$BACKUP_DIR/$name.media.tar.gz.partial" .
    mv "$BACKUP_DIR/$name.media.tar.gz.partial" "$BACKUP_DIR/$name.media.tar.gz"
    seal "$BACKUP_DIR/$name.media.tar.gz" >/dev/null
fi

# Rotation: daily copies older than BACKUP_KEEP_DAYS go, except those of the 1st of a month,
# which go after BACKUP_KEEP_MONTHS months. Leftover .partial files of failed runs go too.
find "$BACKUP_DIR" -maxdepth 1 -name 'mentoring-*.partial' -mmin +60 -delete
find "$BACKUP_DIR" -maxdepth 1 -name 'mentoring-*' -type f -mtime +"$BACKUP_KEEP_DAYS" \
    ! -name 'mentoring-??????01-*' -delete
find "$BACKUP_DIR" -maxdepth 1 -name 'mentoring-??????01-*' -type f \
    -mtime +"$((BACKUP_KEEP_MONTHS * 31))" -delete

echo "backup.sh: $(du -h "$dump" | cut -f1) in $(( $(date +%s) - started )) s" >&2
echo "$dump"

#!/usr/bin/env bash
# Dump the SPKMS PostgreSQL database to one file in pg_dump's custom format.
#
#   deploy/backup.sh [DATABASE_URL] [OUTPUT_DIR]
#
# DATABASE_URL defaults to SPKMS_DATABASE_URL (the SQLAlchemy form
# postgresql+psycopg://... is accepted); OUTPUT_DIR to SPKMS_BACKUP_DIR or
# the current folder. Writes spkms-<database>-<UTC time>.dump atomically (a
# failed dump leaves no file that looks like a backup), then prints its path.
# The custom format is compressed, holds the whole database (schema, data,
# sequences, the Alembic version) and lets pg_restore pick parts or run in
# parallel. Keep SPKMS_BACKUP_KEEP dumps (default 14); older ones are removed.
set -euo pipefail

url="${1:-${SPKMS_DATABASE_URL:-}}"
out_dir="${2:-${SPKMS_BACKUP_DIR:-.}}"
keep="${SPKMS_BACKUP_KEEP:-14}"

if [[ -z "$url" ]]; then
    echo "backup: give a database URL or set SPKMS_DATABASE_URL" >&2
    exit 2
fi
if [[ "$url" != postgresql* ]]; then
    echo "backup: SPKMS_DATABASE_URL must be a PostgreSQL URL (SQLite: copy the file)" >&2
    exit 2
fi
if ! [[ "$keep" =~ ^[0-9]+$ ]] || (( keep < 1 )); then
    echo "backup: SPKMS_BACKUP_KEEP must be a whole number of at least 1" >&2
    exit 2
fi
# libpq does not know SQLAlchemy's driver suffix.
libpq_url="postgresql://${url#*://}"
database="$(basename "${libpq_url%%\?*}")"

mkdir -p "$out_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$out_dir/spkms-$database-$stamp.dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --no-owner --no-privileges \
    --file="$partial" --dbname="$libpq_url"
# A dump that pg_restore cannot list is no backup.
pg_restore --list "$partial" > /dev/null
mv "$partial" "$target"
trap - EXIT

# Rotation: newest first, drop everything past the first $keep.
ls -1t "$out_dir"/spkms-"$database"-*.dump | tail -n +"$((keep + 1))" | while read -r old; do
    rm -f -- "$old"
done
echo "$target"

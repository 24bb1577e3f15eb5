#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into an EMPTY PostgreSQL database.
#
#   deploy/restore.sh DUMP_FILE TARGET_DATABASE_URL
#
# The target must exist and be empty (create it with `createdb`): restoring
# over a live database would mix two states of the courts' records, so this
# refuses a database that already has tables. Everything is restored in one
# transaction: a failure leaves the target as empty as it was. Then run
# `spkms db upgrade` with SPKMS_DATABASE_URL pointing at it if the code is
# newer than the dump, and start the portal.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: restore.sh DUMP_FILE TARGET_DATABASE_URL" >&2
    exit 2
fi
dump="$1"
url="$2"
if [[ ! -r "$dump" ]]; then
    echo "restore: cannot read dump file $dump" >&2
    exit 2
fi
if [[ "$url" != postgresql* ]]; then
    echo "restore: TARGET_DATABASE_URL must be a PostgreSQL URL" >&2
    exit 2
fi
libpq_url="postgresql://${url#*://}"

pg_restore --list "$dump" > /dev/null || {
    echo "restore: $dump is not a pg_dump custom-format file" >&2
    exit 2
}
tables="$(psql --no-psqlrc --tuples-only --no-align --dbname="$libpq_url" \
    --command="SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
if [[ "$tables" != "0" ]]; then
    echo "restore: the target database already has $tables table(s); restore only into an empty database" >&2
    exit 3
fi

pg_restore --single-transaction --exit-on-error --no-owner --no-privileges \
    --dbname="$libpq_url" "$dump"
echo "restored $dump"

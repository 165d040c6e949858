#!/usr/bin/env bash
# `make restore FILE=path`: replace the contents of the PostgreSQL database at DATABASE_URL with a dump made by
# `make backup` (pg_restore --clean --if-exists, in one transaction: on any error nothing changes).
# Stop the web app and workers first. Asks for confirmation when run from a terminal (YES=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
FILE="${1:-}"
[ -n "$FILE" ] || { echo "usage: make restore FILE=backups/crm-YYYYmmdd-HHMMSS.dump" >&2; exit 2; }
[ -r "$FILE" ] || { echo "no such backup: $FILE" >&2; exit 2; }
: "${DATABASE_URL:?set DATABASE_URL to the database to restore into}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "make restore works with PostgreSQL; DATABASE_URL is ${DATABASE_URL%%:*}://…" >&2; exit 2 ;;
esac
pg_restore --list "$FILE" >/dev/null
target="${DATABASE_URL##*@}"
if [ -t 0 ] && [ -z "${YES:-}" ]; then
  read -r -p "Replace everything in ${target%%\?*} with $FILE? [y/N] " answer
  [ "$answer" = y ] || [ "$answer" = Y ] || { echo "nothing restored"; exit 1; }
fi
# Not pg_restore --clean: on the monthly partitions of the KPI values it tries to drop constraints the
# partitions inherit, which PostgreSQL refuses. The schema is emptied first, then the dump restored whole.
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$DATABASE_URL" "$FILE"
echo "restored $FILE into ${target%%\?*}"

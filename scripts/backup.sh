#!/usr/bin/env bash
# `make backup [FILE=path]`: a compressed, consistent dump of the PostgreSQL database at DATABASE_URL
# (pg_dump --format=custom: one file, restorable with `make restore FILE=...`). Safe while the app runs.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL (postgres://user:pass@host:5432/name) to the database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "make backup works with PostgreSQL; DATABASE_URL is ${DATABASE_URL%%:*}://…" >&2; exit 2 ;;
esac
FILE="${1:-backups/crm-$(date -u +%Y%m%d-%H%M%S).dump}"
mkdir -p "$(dirname "$FILE")"
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$FILE.partial" "$DATABASE_URL"
pg_restore --list "$FILE.partial" >/dev/null  # readable before it takes the final name
mv "$FILE.partial" "$FILE"
echo "backup written: $FILE ($(du -h "$FILE" | cut -f1))"

#!/usr/bin/env bash
# CI check of `make backup` / `make restore` on a small PostgreSQL database of its own (created and dropped here):
# seed demo data, back up, damage the database, restore, and compare a fingerprint of the data; then restore the
# same file into an empty database (a new server) and compare again.
set -euo pipefail
cd "$(dirname "$0")/.."
PG="${BACKUP_CHECK_PG:-postgres://postgres@127.0.0.1:5432}"
DB=crm_backup_check
FRESH=crm_backup_check_fresh
WORK="$(mktemp -d)"
cleanup() {
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $FRESH" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK="$(mktemp -d)"
psql "$PG/postgres" -qAtc "CREATE DATABASE $DB"
psql "$PG/postgres" -qAtc "CREATE DATABASE $FRESH"

fingerprint() {
  psql "$1" -qAtc "
    SELECT 'clients', count(*), md5(string_agg(id || name || version, ',' ORDER BY id)) FROM clients_client
    UNION ALL SELECT 'contacts', count(*), md5(string_agg(id || first_name, ',' ORDER BY id)) FROM clients_contact
    UNION ALL SELECT 'handoffs', count(*), md5(string_agg(id || deal_name, ',' ORDER BY id)) FROM clients_handoff
    UNION ALL SELECT 'interactions', count(*), md5(string_agg(id || summary, ',' ORDER BY id)) FROM interactions_interaction
    UNION ALL SELECT 'kpi values', count(*), sum(value)::text FROM health_metricvalue
    UNION ALL SELECT 'scores', count(*), sum(score)::text FROM health_healthscore
    UNION ALL SELECT 'flags', count(*), md5(string_agg(id || status, ',' ORDER BY id)) FROM health_flag
    UNION ALL SELECT 'users', count(*), md5(string_agg(id || username || password, ',' ORDER BY id)) FROM users_user
    UNION ALL SELECT 'client history', count(*), '' FROM clients_historicalclient" | sort  # UNION ALL has no order
}

export DATABASE_URL="$PG/$DB"
unset REDIS_URL
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo --clients 40 >/dev/null
fingerprint "$DATABASE_URL" >"$WORK/before"
grep -q "^clients|40|" "$WORK/before" || { echo "seeding failed" >&2; exit 1; }

make --no-print-directory backup FILE="$WORK/crm.dump"

# Damage: lose a table's rows, change data, add a stray table.
psql "$DATABASE_URL" -qAtc "TRUNCATE health_flag CASCADE; UPDATE clients_client SET name = 'overwritten';
  CREATE TABLE stray (id int)" >/dev/null
fingerprint "$DATABASE_URL" >"$WORK/damaged"
if cmp -s "$WORK/before" "$WORK/damaged"; then echo "the damage changed nothing: the check would prove nothing" >&2; exit 1; fi

YES=1 make --no-print-directory restore FILE="$WORK/crm.dump" </dev/null
fingerprint "$DATABASE_URL" >"$WORK/restored"
diff "$WORK/before" "$WORK/restored"
.venv/bin/python manage.py migrate --check >/dev/null  # the schema is complete, migrations included

# A new, empty server: the same file brings everything back.
DATABASE_URL="$PG/$FRESH" YES=1 make --no-print-directory restore FILE="$WORK/crm.dump" </dev/null
fingerprint "$PG/$FRESH" >"$WORK/fresh"
diff "$WORK/before" "$WORK/fresh"
echo "backup check: $(wc -l <"$WORK/before") fingerprints equal after restore in place and into an empty database"

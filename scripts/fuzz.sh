#!/usr/bin/env bash
# `make fuzz`: schemathesis against the OpenAPI schema (/api/schema/) of every API endpoint, on a live server on
# 127.0.0.1 with a throwaway database seeded with demo data, as an authenticated admin (who may call everything)
# and as an account manager (whose calls meet the permission checks). Fails on any 500 (not_a_server_error) or
# response that violates the schema (response_schema_conformance, content_type_conformance,
# response_headers_conformance). Bounded: FUZZ_MAX_EXAMPLES test cases per operation and phase.
#
#   FUZZ_DATABASE_URL   database to use (default: a new SQLite file in a temporary directory; .ci/run passes a
#                       fresh PostgreSQL database). It is migrated and seeded here: never point it at real data.
#   FUZZ_MAX_EXAMPLES   default 30      FUZZ_SEED  default 20261124 (same cases every run; change it to explore)
#   FUZZ_PORT           default: a free port
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ST=.venv/bin/schemathesis
PORT="${FUZZ_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-30}"
SEED="${FUZZ_SEED:-20261124}"
WORK="$(mktemp -d)"
SERVER=""

cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="${FUZZ_DATABASE_URL:-sqlite:///$WORK/fuzz.sqlite3}"
unset REDIS_URL                   # tasks run eagerly inside the server process
export CELERY_TASK_ALWAYS_EAGER=1
export DJANGO_ENV=development DEBUG=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING

echo "== fuzz: database ${DATABASE_URL%%://*}, seeding demo data"
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo --clients 40 >/dev/null
read -r ADMIN_TOKEN AM_TOKEN < <($PY manage.py shell -v0 -c "
from rest_framework.authtoken.models import Token
from users.models import User
print(*(Token.objects.get_or_create(user=User.objects.get(username=name))[0].key for name in ('admin_ada', 'am_alice')))
")

$PY manage.py runserver "127.0.0.1:${PORT}" --noreload --nothreading >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  curl -fsS "http://127.0.0.1:${PORT}/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }  # our server, not another one on the port

# The inbound-mail endpoint takes a raw RFC 822 body that schemathesis cannot generate; capture's own tests
# (capture/tests/test_views.py) cover it with real messages.
status=0
for who in admin am; do
  token="$ADMIN_TOKEN"; [ "$who" = am ] && token="$AM_TOKEN"
  echo "== fuzz: every operation as ${who} (max ${MAX_EXAMPLES} examples, seed ${SEED})"
  $ST run "http://127.0.0.1:${PORT}/api/schema/" \
    --header "Authorization: Token ${token}" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,response_headers_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 \
    --request-timeout 30 --suppress-health-check all --warnings off --no-color \
    --exclude-path /api/v1/capture/inbound/ \
    || status=$?
done
if [ "$status" -ne 0 ]; then
  echo "== fuzz FAILED; server errors logged:"
  grep -A80 "Traceback\|ERROR" "$WORK/server.log" | head -400 || true
  tail -20 "$WORK/server.log"
fi
exit "$status"

# Search at 10,000 clients and 50,000 contacts (issue 13), PostgreSQL only (SQLite has no indexes to build here):
# - crm_word_heads(text): the first one and two letters of every word of crm_fold(text), so a 1-2 letter term (which
#   trigrams cannot serve: they need three letters) is an exact GIN lookup, crm_word_heads(x) @> ARRAY['mu'];
# - a contact's names and e-mail as one text, first_name || ' ' || last_name || ' ' || email (core.search.SearchText),
#   and a client's name and external id, name || ' ' || COALESCE(external_id, ''), each with one trigram index
#   (and word heads of the contact's text and of the client's name), instead of trigram indexes per column ORed in
#   each query (an OR with a lossy arm is tested again row by row, the expensive crm_word_heads too). The heads of
#   external ids are left out: two letters of an id match every id with the same prefix (SF-…, 001…);
# - every search GIN index without fastupdate: its pending list (filled by inserts until a vacuum merges it) is read
#   row by row by every search (10-20 ms after 10,000 inserts); a contact or client insert pays the index update.
# The expressions are written as dashboards.selectors.global_search_querysets compiles them (else the planner ignores
# the indexes: dashboards/tests/test_search.py checks the plans).

from django.db import migrations

CONTACT_TEXT = "(first_name || ' ' || last_name || ' ' || email)"
CLIENT_TEXT = "(name || ' ' || COALESCE(external_id, ''))"

POSTGRES_FORWARD = [
    # Not inlined (array_remove is not strict) and a regular expression: some 20-40 µs a call, so it must not be
    # evaluated row by row. COST 1000 (the planner charges it for every row a plan reads) keeps a sequential scan
    # dearer than the exact, never rechecked, GIN lookup unless nearly every row matches. PARALLEL UNSAFE on
    # purpose: a search is a few milliseconds of work, and starting a worker for it cost more than it saved
    # (29 ms against 15 ms for 2,000 contacts on a loaded machine).
    "CREATE OR REPLACE FUNCTION crm_word_heads(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL UNSAFE STRICT "
    "COST 1000 AS $$ SELECT array_remove(regexp_split_to_array("
    r"regexp_replace(crm_fold($1), '(\S)(\S?)\S*', '\1 \1\2', 'g'), '\s+'), '') $$",
    f"CREATE INDEX IF NOT EXISTS contact_text_heads ON clients_contact USING gin (crm_word_heads({CONTACT_TEXT})) "
    "WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS contact_text_fold_trgm ON clients_contact "
    f"USING gin (crm_fold({CONTACT_TEXT}) gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS client_name_heads ON clients_client USING gin (crm_word_heads(name)) "
    "WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS client_text_fold_trgm ON clients_client "
    f"USING gin (crm_fold({CLIENT_TEXT}) gin_trgm_ops) WITH (fastupdate = off)",
    # Replaced by the indexes on the texts.
    "DROP INDEX IF EXISTS contact_first_name_fold_trgm",
    "DROP INDEX IF EXISTS contact_last_name_fold_trgm",
    "DROP INDEX IF EXISTS contact_email_fold_trgm",
    "DROP INDEX IF EXISTS client_name_fold_trgm",
    "DROP INDEX IF EXISTS client_external_id_fold_trgm",
    # From 0007, still used (a part of a phone number).
    "ALTER INDEX contact_phone_digits_trgm SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('contact_phone_digits_trgm'::regclass)",
]
POSTGRES_BACKWARD = [
    "ALTER INDEX contact_phone_digits_trgm RESET (fastupdate)",
    "CREATE INDEX IF NOT EXISTS client_name_fold_trgm ON clients_client USING gin (crm_fold(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_external_id_fold_trgm ON clients_client "
    "USING gin (crm_fold(external_id) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_first_name_fold_trgm ON clients_contact "
    "USING gin (crm_fold(first_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_last_name_fold_trgm ON clients_contact "
    "USING gin (crm_fold(last_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_email_fold_trgm ON clients_contact USING gin (crm_fold(email) gin_trgm_ops)",
    "DROP INDEX IF EXISTS client_text_fold_trgm",
    "DROP INDEX IF EXISTS client_name_heads",
    "DROP INDEX IF EXISTS contact_text_fold_trgm",
    "DROP INDEX IF EXISTS contact_text_heads",
    "DROP FUNCTION IF EXISTS crm_word_heads(text)",
]


def _postgres_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)


def _postgres_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0014_contact_language"),
    ]

    operations = [
        migrations.RunPython(_postgres_forward, _postgres_backward),
    ]

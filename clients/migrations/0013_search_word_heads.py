# Search at 10,000 clients and 50,000 contacts (issue 13), PostgreSQL only (SQLite has no indexes to build here):
# - crm_word_heads(text): the first one and two letters of every word of crm_fold(text), so a 1-2 letter term (which
#   trigrams cannot serve: they need three letters) is an exact GIN lookup, crm_word_heads(x) @> ARRAY['mu'];
# - a contact's names and e-mail as one text, first_name || ' ' || last_name || ' ' || email (core.search.SearchText),
#   with one trigram index and one word-heads index, instead of three trigram indexes ORed in each query;
# - crm_word_heads(name) for clients, and crm_fold(external_id) text_pattern_ops for the start of an external id;
# - every search GIN index without fastupdate: its pending list (filled by inserts until a vacuum merges it) is read
#   row by row by every search (10-20 ms after 10,000 inserts); a contact or client insert pays the index update.
# The expressions are written as dashboards.selectors._search_querysets compiles them (or the planner ignores them).

from django.db import migrations

CONTACT_TEXT = "(first_name || ' ' || last_name || ' ' || email)"
OLD_GIN = ["client_name_fold_trgm", "client_external_id_fold_trgm", "contact_phone_digits_trgm"]  # from 0007

POSTGRES_FORWARD = [
    # Not inlined (array_remove is not strict) and a regular expression: some 20 µs a call. COST says so, so the
    # planner filters rows in name order only when many match (a few hundred rows read), else it uses the index.
    "CREATE OR REPLACE FUNCTION crm_word_heads(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "COST 1000 AS $$ SELECT array_remove(string_to_array("
    r"regexp_replace(crm_fold($1), '(\S)(\S?)\S*', '\1 \1\2', 'g'), ' '), '') $$",
    f"CREATE INDEX IF NOT EXISTS contact_text_heads ON clients_contact USING gin (crm_word_heads({CONTACT_TEXT})) "
    "WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS contact_text_fold_trgm ON clients_contact "
    f"USING gin (crm_fold({CONTACT_TEXT}) gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS client_name_heads ON clients_client USING gin (crm_word_heads(name)) "
    "WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS client_external_id_fold_prefix ON clients_client "
    "(crm_fold(external_id) text_pattern_ops)",
    # Replaced by contact_text_fold_trgm.
    "DROP INDEX IF EXISTS contact_first_name_fold_trgm",
    "DROP INDEX IF EXISTS contact_last_name_fold_trgm",
    "DROP INDEX IF EXISTS contact_email_fold_trgm",
    *(
        statement
        for index in OLD_GIN
        for statement in (
            f"ALTER INDEX {index} SET (fastupdate = off)",
            f"SELECT gin_clean_pending_list('{index}'::regclass)",
        )
    ),
]
POSTGRES_BACKWARD = [
    *(f"ALTER INDEX {index} RESET (fastupdate)" for index in OLD_GIN),
    "CREATE INDEX IF NOT EXISTS contact_first_name_fold_trgm ON clients_contact "
    "USING gin (crm_fold(first_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_last_name_fold_trgm ON clients_contact "
    "USING gin (crm_fold(last_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_email_fold_trgm ON clients_contact USING gin (crm_fold(email) gin_trgm_ops)",
    "DROP INDEX IF EXISTS client_external_id_fold_prefix",
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
        ("clients", "0012_constraint_messages"),
    ]

    operations = [
        migrations.RunPython(_postgres_forward, _postgres_backward),
    ]

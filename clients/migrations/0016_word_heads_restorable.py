# crm_word_heads() called crm_fold() by its bare name. pg_restore runs with an empty search_path, so rebuilding the
# word-head indexes from a dump could not find crm_fold and the restore stopped (make backup-check). Named with its
# schema, as crm_fold itself names public.unaccent; same body otherwise, so the indexes stay valid as they are.

from django.db import migrations

BODY = (
    "RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL UNSAFE STRICT COST 1000 AS $$ SELECT array_remove("
    r"regexp_split_to_array(regexp_replace({fold}($1), '(\S)(\S?)\S*', '\1 \1\2', 'g'), '\s+'), '') $$"
)


def _qualified(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE OR REPLACE FUNCTION crm_word_heads(text) " + BODY.format(fold="public.crm_fold"))


def _bare(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE OR REPLACE FUNCTION crm_word_heads(text) " + BODY.format(fold="crm_fold"))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0015_search_word_heads"),
    ]

    operations = [migrations.RunPython(_qualified, _bare, elidable=False)]

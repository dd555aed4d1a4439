"""Erasing a customer's personal data may rewrite the text of timeline rows; nothing else may change them.

The append-only trigger lets an UPDATE through only inside a transaction that set
``rma.erasing_personal_data`` (``rma.services.erasure``); DELETE is always refused.
"""

from django.db import migrations

ALLOW_ERASURE = """
CREATE OR REPLACE FUNCTION rma_refuse_history_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('rma.erasing_personal_data', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

REFUSE_ALWAYS = """
CREATE OR REPLACE FUNCTION rma_refuse_history_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_ERASURE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE_ALWAYS, params=None)


class Migration(migrations.Migration):
    dependencies = [("rma", "0004_device_indexes_for_bulk_import")]

    operations = [migrations.RunPython(forwards, backwards)]

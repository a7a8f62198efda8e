"""The database itself refuses UPDATE and DELETE on the audit log (append-only)."""

from django.db import migrations

from doorstep.core.migrations import _audit_guard as guard


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(guard.PG_CREATE)
    elif vendor == "sqlite":
        for sql in guard.SQLITE_CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(guard.PG_DROP)
    elif vendor == "sqlite":
        for sql in guard.SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

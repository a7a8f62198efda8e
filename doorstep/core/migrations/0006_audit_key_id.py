"""Each audit entry names the MAC key that made its hash (core/auditkeys.py).

SQLite adds the column by rebuilding the table, which drops its triggers: the
append-only guard is put back at once."""

from django.db import migrations, models

from doorstep.core.migrations import _audit_guard as guard


def restore_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in guard.SQLITE_CREATE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_identity_conflict")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(restore_guard, restore_guard),
    ]

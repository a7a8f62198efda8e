"""Each case gets a short tracking code a person can read out (cases/tracking.py); cases
filed before get theirs here."""

import secrets

from django.db import migrations, models

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as cases/tracking.py, frozen here


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    taken: set[str] = set()
    batch = []
    for pk in Case.objects.filter(code__isnull=True).values_list("pk", flat=True).iterator():
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        while code in taken:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        taken.add(code)
        batch.append(Case(pk=pk, code=code))
        if len(batch) >= 1000:
            Case.objects.bulk_update(batch, ["code"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["code"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_category_rollups")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="code",
            field=models.CharField(
                editable=False, max_length=8, null=True, unique=True, verbose_name="查询码"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

"""Every install starts with one list of 联建 items, in the words of the 党建联盟 the project
comes from: 组织联建、资源联用、事务联治、成果联享 (四联). Streets add their own (六联,
八共八联 …) on the alliances page."""

from django.db import migrations

ITEMS = ("组织联建", "资源联用", "事务联治", "成果联享")


def add(apps, schema_editor):
    Scheme = apps.get_model("cogov", "Scheme")
    SchemeItem = apps.get_model("cogov", "SchemeItem")
    scheme, created = Scheme.objects.get_or_create(
        name="四联", defaults={"note": "党建联盟“组织联建、资源联用、事务联治、成果联享”"}
    )
    if created:
        for n, label in enumerate(ITEMS):
            SchemeItem.objects.create(scheme=scheme, label=label, order=n)


class Migration(migrations.Migration):
    dependencies = [("cogov", "0005_alliances")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]

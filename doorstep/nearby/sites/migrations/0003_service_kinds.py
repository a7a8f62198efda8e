"""The services a site may offer (服务项目), seeded (the same rows `sites.defaults` ensures
after every migrate); admins may add more."""

from django.db import migrations


def seed(apps, schema_editor):
    from doorstep.nearby.sites.defaults import load

    load(apps.get_model("sites", "ServiceKind"))


def unseed(apps, schema_editor):
    from doorstep.nearby.sites.defaults import KINDS

    ServiceKind = apps.get_model("sites", "ServiceKind")
    ServiceKind.objects.filter(code__in=[c for c, _ in KINDS], sites__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sites", "0002_booking_no_overlap")]

    operations = [migrations.RunPython(seed, unseed)]

"""The five-colour themes and the default points rules a new install starts with (the
same rows `service.defaults` ensures after every migrate)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from doorstep.service.defaults import load

    load(apps.get_model("service", "Theme"), apps.get_model("service", "PointRule"))


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

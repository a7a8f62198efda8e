"""Credits now come from the case event log by a consumer (service.credits). Everything
already in the log was credited when it happened (by the former in-transaction receiver),
so the consumer starts after the newest event there."""

from django.db import migrations
from django.db.models import Max


def forwards(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    EventCursor = apps.get_model("core", "EventCursor")
    last = CaseEvent.objects.aggregate(last=Max("id"))["last"] or 0
    EventCursor.objects.update_or_create(
        consumer="service.case_credits", defaults={"last_id": last}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0003_points_owed"),
        ("core", "0004_eventcursor_consumedevent"),
        ("cases", "0002_category_rollups"),
        ("activities", "0004_attendanceevent"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

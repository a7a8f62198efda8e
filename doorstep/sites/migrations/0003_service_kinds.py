"""The services a site may offer (服务项目), seeded; admins may add more."""

from django.db import migrations

KINDS = [
    ("water", "饮水"),
    ("charging", "充电"),
    ("rest", "休息"),
    ("meals", "就餐"),
    ("heating", "热饭"),
    ("toilet", "如厕"),
    ("reading", "阅读"),
    ("legal", "法律咨询"),
    ("medicine", "应急药箱"),
    ("repair", "便民维修"),
    ("umbrella", "雨伞借用"),
    ("wifi", "无线网络"),
    ("psychology", "心理咨询"),
    ("elderly_care", "助老服务"),
    ("activity", "文体活动"),
]


def seed(apps, schema_editor):
    ServiceKind = apps.get_model("sites", "ServiceKind")
    for order, (code, name) in enumerate(KINDS, start=1):
        ServiceKind.objects.update_or_create(code=code, defaults={"name": name, "order": order})


def unseed(apps, schema_editor):
    ServiceKind = apps.get_model("sites", "ServiceKind")
    ServiceKind.objects.filter(code__in=[c for c, _ in KINDS], sites__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sites", "0002_booking_no_overlap")]

    operations = [migrations.RunPython(seed, unseed)]

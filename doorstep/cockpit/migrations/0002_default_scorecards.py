"""The two default scorecards: grids (考核双挂钩: party work + the grid's cases) and
communities. Weights add up to 100; staff may change weights and targets afterwards."""

from decimal import Decimal

from django.db import migrations

CARDS = [
    (
        "网格考核（双挂钩）",
        "grid",
        [
            ("grid_branch", 10, 1, "higher"),
            ("link_coverage", 15, 80, "higher"),
            ("posts_filled", 10, 90, "higher"),
            ("volunteer_hours", 10, 20, "higher"),
            ("activities", 10, 2, "higher"),
            ("closing_rate", 15, 95, "higher"),
            ("on_time_rate", 10, 90, "higher"),
            ("satisfaction_rate", 10, 95, "higher"),
            ("reopen_rate", 5, 5, "lower"),
            ("overdue", 5, 1, "lower"),
        ],
    ),
    (
        "社区考核",
        "community",
        [
            ("closing_rate", 20, 95, "higher"),
            ("on_time_rate", 15, 90, "higher"),
            ("satisfaction_rate", 15, 95, "higher"),
            ("reopen_rate", 10, 5, "lower"),
            ("overdue", 10, 3, "lower"),
            ("link_coverage", 10, 80, "higher"),
            ("posts_filled", 5, 90, "higher"),
            ("volunteer_hours", 5, 60, "higher"),
            ("activities", 10, 6, "higher"),
        ],
    ),
]


def create(apps, schema_editor):
    Scorecard = apps.get_model("cockpit", "Scorecard")
    Indicator = apps.get_model("cockpit", "Indicator")
    for name, level, rows in CARDS:
        card, created = Scorecard.objects.get_or_create(name=name, level=level)
        if not created:
            continue
        for order, (code, weight, target, direction) in enumerate(rows, 1):
            Indicator.objects.create(
                scorecard=card,
                code=code,
                weight=Decimal(weight),
                target=Decimal(target),
                direction=direction,
                order=order,
            )


def remove(apps, schema_editor):
    apps.get_model("cockpit", "Scorecard").objects.filter(
        name__in=[name for name, _, _ in CARDS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cockpit", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]

from typing import Any

from django.apps import AppConfig


def ensure_default_scorecards(**_: Any) -> None:
    """After every migrate: when no platform default scorecard exists (a fresh or flushed
    database), the two defaults of migration 0002 are created again (staff edits are never
    overwritten; cards owned by a street or district do not count as defaults)."""
    import importlib
    from decimal import Decimal

    from django.apps import apps

    scorecard = apps.get_model("cockpit", "Scorecard")
    indicator = apps.get_model("cockpit", "Indicator")
    if scorecard.objects.filter(organisation__isnull=True).exists():
        return
    defaults = importlib.import_module("doorstep.cockpit.migrations.0002_default_scorecards")
    for name, level, rows in defaults.CARDS:
        card = scorecard.objects.create(name=name, level=level, organisation=None)
        for order, (code, weight, target, direction) in enumerate(rows, 1):
            indicator.objects.create(
                scorecard=card,
                code=code,
                weight=Decimal(weight),
                target=Decimal(target),
                direction=direction,
                order=order,
            )


class CockpitConfig(AppConfig):
    """The cockpit (驾驶舱): live figures of a node of the tree, the monthly briefing and
    the assessments; it owns its scorecards, no domain data."""

    name = "doorstep.cockpit"
    label = "cockpit"
    verbose_name = "驾驶舱"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_default_scorecards, sender=self)

from typing import Any

from django.apps import AppConfig


def ensure_default_scorecards(**_: Any) -> None:
    """After every migrate: when no scorecard exists (a fresh or flushed database), the
    two defaults of migration 0002 are created again (staff edits are never overwritten)."""
    import importlib

    from django.apps import apps

    scorecard = apps.get_model("cockpit", "Scorecard")
    if scorecard.objects.exists():
        return
    defaults = importlib.import_module("doorstep.cockpit.migrations.0002_default_scorecards")
    defaults.create(apps, None)


class CockpitConfig(AppConfig):
    """The cockpit (驾驶舱): live figures of a node of the tree, the monthly briefing and
    the assessments; it owns its scorecards, no domain data."""

    name = "doorstep.cockpit"
    label = "cockpit"
    verbose_name = "驾驶舱"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_default_scorecards, sender=self)

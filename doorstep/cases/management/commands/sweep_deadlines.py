"""Run the deadline sweep once, now (the same work the periodic job does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from doorstep.cases.sweep import sweep


class Command(BaseCommand):
    help = "时限巡检：标记将到期/已超期、催办、超期自动上报、评价期满办结、归档"

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep()
        for name, count in result.as_dict().items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(str(result))

"""Rebuild every co-governance fund's balance from its lines and say where they disagree."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doorstep.cogov import funds


class Command(BaseCommand):
    help = "核对共治基金：按收支明细重算每个基金的余额，与记录的余额比较"

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = funds.recount()
        for fund, stored, counted in wrong:
            self.stdout.write(f"{fund.name}：记录余额 {stored}，按明细重算 {counted}")
        if wrong:
            raise CommandError(f"{len(wrong)} 个基金的余额与明细不符")
        self.stdout.write("所有共治基金的余额与明细一致。")

"""Check that every points balance equals the sum of its ledger lines (--fix to repair)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from doorstep.service.ledger import recount


class Command(BaseCommand):
    help = "核对积分：每人的可用、累计获得、累计兑换是否等于积分明细之和（--fix 修正）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="把不一致的账户改为明细之和")

    def handle(self, *args: Any, **options: Any) -> None:
        found = recount(fix=options["fix"])
        for m in found:
            self.stdout.write(f"用户 {m.user_id} {m.field}：显示 {m.shown}，明细合计 {m.ledger}")
        if not found:
            self.stdout.write("积分账户与明细一致。")
        elif options["fix"]:
            self.stdout.write(f"已修正 {len({m.user_id for m in found})} 个账户。")
        else:
            raise SystemExit(1)

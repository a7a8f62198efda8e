"""seed_demo: load the demo street (学院路, from OpenStreetMap) or a synthetic district."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import ProtectedError

from doorstep.atlas.organisations.models import Organisation
from doorstep.demo import district, xueyuanlu
from doorstep.demo.logins import print_logins
from doorstep.demo.reset import delete_subtree

PRESETS = {
    "xueyuanlu": (xueyuanlu.STREET_CODE, xueyuanlu.USERNAMES),
    "district": (district.DISTRICT_CODE, district.USERNAMES),
}


def analyze() -> None:
    """Fresh planner statistics after a bulk load.

    Without them PostgreSQL guesses until autovacuum gets round to the tables: the first
    pages after a seed (the subtree counts) took about twice as long, and a copy of the
    seeded database (the browser tests' `CREATE DATABASE … TEMPLATE`) never gets round to
    them — signing in to the workbench took 15 s there. Every table: the demo fills the
    service, co-building and activity tables too, not just the register.
    """
    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "载入演示数据：--preset xueyuanlu（学院路街道，真实地图）或 district（模拟区，--scale N）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="xueyuanlu")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="district 的规模倍数（xueyuanlu 不用）"
        )
        parser.add_argument(
            "--reset", action="store_true", help="先删除已载入的同一套演示数据再重建"
        )
        parser.add_argument(
            "--site",
            default="",
            help="演示站点的地址（如 http://127.0.0.1:8000），用于提示从哪里登录",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        preset: str = options["preset"]
        scale: float = options["scale"]
        if scale <= 0:
            raise CommandError("--scale 必须大于 0")
        code, usernames = PRESETS[preset]
        log = self.stdout.write
        started = time.perf_counter()
        with transaction.atomic():
            existing = Organisation.objects.filter(code=code).first()
            if existing is not None and not options["reset"]:
                log(f"演示数据「{existing.name}」已经载入，未重复创建（如需重建请加 --reset）。")
            else:
                if existing is not None:
                    self._reset(existing, log)
                log(f"载入演示数据 {preset}：")
                if preset == "xueyuanlu":
                    xueyuanlu.seed_xueyuanlu(log)
                else:
                    district.seed_district(log, scale)
                analyze()
                log(self.style.SUCCESS(f"完成，用时 {time.perf_counter() - started:.1f} 秒。"))
        site = options["site"].rstrip("/")
        log(f"\n打开 {site}/ 用下面的账号登录：" if site else "\n演示账号：")
        print_logins(log, usernames)

    def _reset(self, root: Organisation, log: Any) -> None:
        """Delete the preset's subtree (and its district, if that is left empty)."""
        parent = root.parent
        try:
            deleted = delete_subtree(root)
            # The demo street's district goes too when nothing else hangs under it.
            if parent is not None and not parent.children.exists():
                delete_subtree(parent)
        except ProtectedError as exc:
            blockers = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
            raise CommandError(
                f"无法删除「{root.name}」：还有其他数据引用它（{'、'.join(blockers)}）。"
            ) from exc
        log("已删除旧的演示数据：" + "、".join(f"{k} {n}" for k, n in deleted.items()))

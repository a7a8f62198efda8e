"""Recount the population counters from the residents and compare them with the stored ones.

manage.py recount_population          # report differences; exit 1 if there are any
manage.py recount_population --fix    # rewrite the counters from the residents

The recount decrypts every resident's tags (it is the only place that does); run it after
restoring a backup or editing residents outside the application.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import PopulationTally

SHOWN = 50


class Command(BaseCommand):
    help = "按居民台账重算人口统计计数并与现有计数比对（--fix 以重算结果覆盖）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="以重算结果重写人口统计计数")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Writes that commit meanwhile wait for us, then add to the fresh rows.
                with connection.cursor() as cursor:
                    table = PopulationTally._meta.db_table
                    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            expected = tallies.recount()
            diff = tallies.differences(expected, tallies.stored())
            if not diff:
                self.stdout.write(f"一致：{len(expected)} 项人口统计计数与台账重算结果完全相同")
                return
            for (org_id, dimension, key), want, have in diff[:SHOWN]:
                self.stdout.write(
                    f"组织 {org_id} {dimension}={key or '（空）'}: 计数表 {have}，按台账重算 {want}"
                )
            if len(diff) > SHOWN:
                self.stdout.write(f"……另有 {len(diff) - SHOWN} 处不同")
            if options["fix"]:
                written = tallies.rewrite(expected)
                self.stdout.write(
                    f"已按台账重写人口统计计数：{written} 项（修正 {len(diff)} 处不同）"
                )
                return
        raise CommandError(f"人口统计计数与台账重算结果有 {len(diff)} 处不同（用 --fix 修正）")

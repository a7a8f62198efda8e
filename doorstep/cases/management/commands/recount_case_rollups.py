"""Recount the case rollups from the events and compare them with the stored counters.

manage.py recount_case_rollups          # report differences; exit 1 if there are any
manage.py recount_case_rollups --fix    # rewrite the rollup tables from the events

Both tables: per organisation and day (`Rollup`), per organisation, month and category
(`CategoryRollup`; after upgrading to a version that adds it, run with --fix once).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from doorstep.cases import category_rollups, rollups
from doorstep.cases.models import CATEGORY_FIELDS, ROLLUP_FIELDS, CategoryRollup, Rollup

SHOWN = 50  # differences printed before "… and N more"


def differences(stored: dict, counted: dict) -> list[str]:
    """One line per (organisation, day, counter) that differs, sorted."""
    lines = []
    for key in sorted(set(stored) | set(counted)):
        a, b = stored.get(key, {}), counted.get(key, {})
        if a == b:
            continue
        org_id, day = key
        for name in ROLLUP_FIELDS:
            if a.get(name, 0) != b.get(name, 0):
                lines.append(
                    f"组织 {org_id} {day} {name}: 统计表 {a.get(name, 0)}，按事件重算 {b.get(name, 0)}"
                )
    return lines


def category_differences(stored: dict, counted: dict) -> list[str]:
    lines = []
    for key in sorted(set(stored) | set(counted)):
        a, b = stored.get(key, {}), counted.get(key, {})
        if a == b:
            continue
        org_id, month, category_id = key
        for name in CATEGORY_FIELDS:
            if a.get(name, 0) != b.get(name, 0):
                lines.append(
                    f"组织 {org_id} {month:%Y-%m} 分类 {category_id} {name}: "
                    f"统计表 {a.get(name, 0)}，按事件重算 {b.get(name, 0)}"
                )
    return lines


def rewrite(counted: dict) -> int:
    """Replace the rollup table with `counted`; return the number of rows written."""
    Rollup.objects.all().delete()
    rows = [
        Rollup(organisation_id=org_id, day=day, **counts)
        for (org_id, day), counts in sorted(counted.items())
    ]
    Rollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


class Command(BaseCommand):
    help = "按工单事件重算统计表并与现有统计比对（--fix 以重算结果覆盖）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="以按事件重算的结果重写统计表")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Moves that commit meanwhile wait for us, then add to the fresh rows.
                with connection.cursor() as cursor:
                    for table in (Rollup._meta.db_table, CategoryRollup._meta.db_table):
                        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            stored = rollups.stored()
            counted = rollups.recount_from_events()
            by_category = category_rollups.recount_from_events()
            diff = differences(stored, counted) + category_differences(
                category_rollups.stored(), by_category
            )
            if not diff:
                self.stdout.write(
                    f"一致：{len(counted)} 行日统计、{len(by_category)} 行分类月统计"
                    "与事件重算结果完全相同"
                )
                return
            for line in diff[:SHOWN]:
                self.stdout.write(line)
            if len(diff) > SHOWN:
                self.stdout.write(f"……另有 {len(diff) - SHOWN} 处不同")
            if options["fix"]:
                written = rewrite(counted) + category_rollups.rewrite(by_category)
                self.stdout.write(f"已按事件重写统计表：{written} 行（修正 {len(diff)} 处不同）")
                return
        raise CommandError(f"统计表与事件重算结果有 {len(diff)} 处不同（用 --fix 修正）")

"""`manage.py draw_grids STREET`: derive the street's grid and community boundaries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.partition import draw_grids


class Command(BaseCommand):
    help = "按楼栋位置为街道下的网格和社区生成互不重叠的边界（覆盖已有边界）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("street", help="街道名称或编号")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["street"]
        streets = Organisation.objects.filter(kind=Kind.STREET)
        street = (streets.filter(pk=int(key)).first() if key.isdigit() else None) or streets.filter(
            name=key
        ).first()
        if street is None:
            raise CommandError(f"找不到街道：{key}")
        count = draw_grids(street)
        self.stdout.write(f"已为“{street.name}”生成 {count} 个网格和社区的边界。")

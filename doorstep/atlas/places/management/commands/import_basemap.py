"""`manage.py import_basemap FILE`: the offline basemap from an OpenStreetMap extract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.atlas.places import basemap


class Command(BaseCommand):
    help = "从 OpenStreetMap 文件（.osm 或 .osm.pbf）导入底图（道路、建筑、水系、绿地），替换同名文件导入过的底图"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            count = basemap.import_osm(path)
        except basemap.BasemapError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已导入底图“{path.name}”：{count} 个要素。")

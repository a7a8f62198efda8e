"""`manage.py import_roads FILE [--name NAME]`: import a walkable road network from OSM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.nearby.circle.errors import CircleError
from doorstep.nearby.circle.store import import_roads


class Command(BaseCommand):
    help = "从 OpenStreetMap 文件（.osm 或 .osm.pbf）导入步行路网"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", default=None, help="路网名称（默认取文件名）")
        parser.add_argument(
            "--force",
            action="store_true",
            help="文件不完整或路网明显小于当前路网时仍然导入",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            rn, imported = import_roads(path, name=options["name"], force=options["force"])
        except CircleError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已导入路网“{rn.name}”：{rn.node_count} 个节点，{rn.edge_count} 条路段"
            f"（{imported.ways} 条道路）。"
        )
        if imported.missing:
            self.stdout.write(
                f"有 {imported.missing} 处道路引用的节点不在文件中，这些道路在该处断开。"
            )
        if imported.dropped_nodes:
            self.stdout.write(
                f"路网不完全连通：已保留最大的连通部分，舍弃 {imported.dropped_nodes} 个不连通的节点。"
            )

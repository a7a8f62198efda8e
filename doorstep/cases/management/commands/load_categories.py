"""Load the category catalogue and the community's own categories (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.cases.catalogue import catalogue_path, load_catalogue, load_community_categories


class Command(BaseCommand):
    help = "载入诉求分类：政务诉求分类目录（15 › 118 › 517）和社区自定义分类；可重复运行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="分类目录 CSV（默认为共享数据中的目录）")
        parser.add_argument(
            "--catalogue-only", action="store_true", help="只载入政务目录，不建社区自定义分类"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options.get("file") else catalogue_path()
        if not path.is_file():
            raise CommandError(f"找不到分类目录文件：{path}")
        try:
            result = load_catalogue(path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(f"分类目录无法读取：{exc}") from exc
        levels = " › ".join(str(result.by_level.get(i, 0)) for i in (1, 2, 3))
        self.stdout.write(f"政务诉求分类目录（{levels}）：{result}")
        if not options["catalogue_only"]:
            self.stdout.write(f"社区自定义分类：{load_community_categories()}")

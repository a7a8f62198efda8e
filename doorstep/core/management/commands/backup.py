"""manage.py backup DIR: the database, uploads, audit checkpoints and a manifest (row
counts, checksums, key fingerprints — never the keys) in one new folder under DIR."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from doorstep.core import backup


class Command(BaseCommand):
    help = "备份：数据库、上传文件、审计检查点和清单（不含密钥）写入 DIR 下的新目录"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="备份存放的目录")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = backup.make(Path(options["out"]))
        self.stdout.write(f"备份完成：{folder}")

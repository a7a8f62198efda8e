"""manage.py restore FOLDER: load a backup into the configured empty database and uploads
folder, then check it against the backup's manifest (exit 1 naming every difference)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.core import backup
from doorstep.core.errors import DomainError


class Command(BaseCommand):
    help = "恢复：把备份载入当前配置的空数据库，并逐表核对行数和校验值、审计日志链与密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="backup 命令生成的备份目录")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup.restore(Path(options["folder"]))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not report.ok:
            raise CommandError("恢复后核对不符：\n" + "\n".join(report.problems))
        self.stdout.write(
            f"恢复完成并已核对：{report.tables} 张表、{report.rows} 行与备份一致，"
            "审计日志链完好，密钥相符。"
        )

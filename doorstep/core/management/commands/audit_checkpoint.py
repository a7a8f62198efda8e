"""manage.py audit_checkpoint: sign the audit chain's head and append it outside the
database (Celery beat runs the same every few minutes)."""

from django.core.management.base import BaseCommand, CommandError

from doorstep.core import checkpoints


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit log (after verifying the chain)."

    def handle(self, *args: object, **options: object) -> None:
        try:
            point = checkpoints.write()
        except checkpoints.ChainBroken as exc:
            raise CommandError(f"审计日志链不完整，未写检查点：{exc}") from exc
        if point is None:
            self.stdout.write("审计日志为空，无需检查点。")
        else:
            self.stdout.write(f"已写入检查点：第 {point['last_id']} 条，共 {point['count']} 条。")

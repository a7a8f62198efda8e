"""manage.py issue_token USERNAME [--name NAME]: an API token, its secret printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.accounts.models import User
from doorstep.accounts.tokens import issue_token


class Command(BaseCommand):
    help = "Issue a bearer token for the JSON API; the secret is shown once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is for (用途)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"没有用户 {options['username']}") from exc
        if not user.is_active:
            raise CommandError(f"用户 {user.username} 已停用，不能签发令牌")
        # Issued from the command line: no acting user, the audit entry names the holder.
        secret = issue_token(user=user, name=options["name"], actor=None)
        self.stderr.write(f"已为 {user.username} 签发令牌（只显示这一次，请妥善保存）：")
        self.stdout.write(secret)

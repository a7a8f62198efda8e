"""manage.py audit_keys: make the audit log's keys for a new installation or a rotation.

Prints a new MAC key (put it first in DOORSTEP_AUDIT_KEY, keep the old ones after it)
and writes a new Ed25519 signing key to the given file (mode 600) for
DOORSTEP_AUDIT_SIGNING_KEY_FILE. Neither belongs in the database or a backup."""

import os
import secrets
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.core import auditkeys


class Command(BaseCommand):
    help = "Generate a new audit MAC key and (optionally) an Ed25519 signing key file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--signing-key-file", help="where to write a new signing key")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"DOORSTEP_AUDIT_KEY={secrets.token_urlsafe(32)}")
        target = options.get("signing_key_file")
        if target:
            path = Path(target)
            if path.exists():
                raise CommandError(f"{path} 已存在，不会覆盖")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(auditkeys.new_signing_key_pem())
            self.stdout.write(f"DOORSTEP_AUDIT_SIGNING_KEY_FILE={path}")

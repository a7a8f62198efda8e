"""manage.py restore refuses what would mix a backup into live data. (The full drill —
back up the running production profile, restore into a new database, compare every table,
the audit chain and the keys, recount — runs in `make prod-check`, deploy/prod_check.py.)"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from doorstep.accounts.models import User
from doorstep.core import backup

pytestmark = pytest.mark.django_db


def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    User.objects.create_user(username="keep-me", password="Keep-me-2026")
    folder = tmp_path / "doorstep-x"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"vendor": connection.vendor, "tables": {}}))
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(folder))
    assert User.objects.filter(username="keep-me").exists()


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="不是备份目录"):
        call_command("restore", str(tmp_path))


def test_the_manifest_names_a_changed_table(world):
    """What the drill relies on: a difference in any table is named."""
    manifest = {"tables": backup.table_facts(), "audit_head": None, "keys": {}}
    User.objects.filter(pk=world.personas["outsider"].pk).update(display_name="改过")
    problems = backup.check(manifest).problems
    assert "表 accounts_user 内容校验不符" in problems
    assert backup.key_fingerprints().keys() >= {"field", "lookup", "audit_mac", "audit_signing"}

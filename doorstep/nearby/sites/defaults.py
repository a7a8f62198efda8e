"""What a new install starts with: the services a site may offer (服务项目).

Loaded by the data migration and after every migrate (post_migrate, idempotent: existing
rows are left as admins set them), so a database flushed by tests or restored empty has
them again."""

from __future__ import annotations

from typing import Any

KINDS = [
    ("water", "饮水"),
    ("charging", "充电"),
    ("rest", "休息"),
    ("meals", "就餐"),
    ("heating", "热饭"),
    ("toilet", "如厕"),
    ("reading", "阅读"),
    ("legal", "法律咨询"),
    ("medicine", "应急药箱"),
    ("repair", "便民维修"),
    ("umbrella", "雨伞借用"),
    ("wifi", "无线网络"),
    ("psychology", "心理咨询"),
    ("elderly_care", "助老服务"),
    ("activity", "文体活动"),
]


def load(kind_model: Any) -> None:
    """Create the missing service kinds with this model class (the historical one in the
    data migration, the live one after migrate)."""
    for order, (code, name) in enumerate(KINDS, start=1):
        kind_model.objects.get_or_create(code=code, defaults={"name": name, "order": order})


def ensure_defaults(*_: Any, **__: Any) -> None:
    from .models import ServiceKind

    load(ServiceKind)

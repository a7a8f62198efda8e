"""What a new install starts with: the five-colour themes and the default points rules.

Loaded after every migrate (post_migrate, idempotent: existing rows are left as staff set
them), so a database flushed by tests or restored empty has them again."""

from __future__ import annotations

from typing import Any

THEMES = [
    ("red", "红舍管家", "#c8161d", "党员带头，楼院管家"),
    ("silver", "银舍生辉", "#8a8d91", "低龄老人服务高龄老人"),
    ("green", "绿舍护苗", "#1e8c3c", "关爱青少年成长"),
    ("pink", "粉舍巾帼", "#e05a8a", "妇女志愿服务"),
    ("blue", "蓝舍普法", "#1f4fa3", "法律宣传与调解"),
]
RULES = [
    ("case_resolved", 10, 100, "month"),
    ("case_satisfied", 5, 50, "month"),
    ("activity_served", 5, 60, "month"),
    ("service_hours", 2, 80, "month"),
    ("post_duty", 10, None, "month"),
    ("visit_logged", 2, 40, "month"),
]


def load(theme_model: Any, rule_model: Any) -> None:
    """Create the missing defaults with these model classes (historical ones in the data
    migration, the live ones after migrate)."""
    for order, (code, name, colour, description) in enumerate(THEMES, 1):
        theme_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "colour": colour, "description": description, "order": order},
        )
    for code, points, cap, period in RULES:
        rule_model.objects.get_or_create(
            code=code, organisation=None, defaults={"points": points, "cap": cap, "period": period}
        )


def ensure_defaults(*_: Any, **__: Any) -> None:
    from .models import PointRule, Theme

    load(Theme, PointRule)

"""Test fixtures for cases: departments and their liaisons, a volunteer, a few categories.

Adds to core.testing.build_world: two departments under the street (城管执法队, 房管所)
with a liaison each, a volunteer in grid A, and categories (物业报修 ordinary 7 working
days, 微心愿, 安全隐患 urgent 24 hours with automatic escalation when overdue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.core.testing import World, make_user

from .models import CaseKind, Category, CategorySource, LimitUnit, Urgency


@dataclass
class CaseWorld:
    world: World
    dept_city: Organisation
    dept_housing: Organisation
    repair: Category
    wish: Category
    hazard: Category
    personas: dict[str, Any]


def build_case_world(world: World) -> CaseWorld:
    city = create_organisation(name="城管执法队", kind=Kind.DEPARTMENT, parent=world.street)
    housing = create_organisation(name="房管所", kind=Kind.DEPARTMENT, parent=world.street)
    top = Category.objects.create(code="T01", name="城乡建设", level=1)
    mid = Category.objects.create(code="T0101", name="住房保障与房地产", level=2, parent=top)
    repair = Category.objects.create(
        code="T010101",
        name="物业报修",
        full_name="城乡建设 › 住房保障与房地产 › 物业报修",
        level=3,
        parent=mid,
        urgency=Urgency.ORDINARY,
        resolve_limit=7,
        resolve_unit=LimitUnit.WORKDAYS,
    )
    hazard = Category.objects.create(
        code="T010102",
        name="安全隐患",
        full_name="城乡建设 › 住房保障与房地产 › 安全隐患",
        level=3,
        parent=mid,
        urgency=Urgency.URGENT,
        resolve_limit=24,
        resolve_unit=LimitUnit.HOURS,
        escalate_when_overdue=True,
        default_handler=city,
    )
    wish = Category.objects.create(
        code="C01",
        name="微心愿",
        full_name="微心愿",
        level=1,
        kind=CaseKind.MICRO_WISH,
        source=CategorySource.COMMUNITY,
    )
    personas = dict(world.personas)
    personas["liaison_city"] = make_user("liaison_city", "城管联络员", ("department_liaison", city))
    personas["liaison_housing"] = make_user(
        "liaison_housing", "房管联络员", ("department_liaison", housing)
    )
    personas["volunteer"] = make_user("volunteer", "志愿者小陈", ("volunteer", world.grid_a))
    return CaseWorld(world, city, housing, repair, wish, hazard, personas)


def png(name: str = "p.png", size: int = 8) -> Any:
    """A small real PNG upload (Pillow checks that an uploaded photo is an image)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")

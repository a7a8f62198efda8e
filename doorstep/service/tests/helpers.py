"""Small builders for the service tests."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.core.testing import make_user


def photo(name: str = "evidence.png") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def hours_ago(start: float, end: float) -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now().replace(microsecond=0)
    return now - dt.timedelta(hours=start), now - dt.timedelta(hours=end)


def second_staff(world: Any) -> Any:
    return make_user("community1b", "社区干部乙", ("community_staff", world.community_1))


def claimed_wish(cw: Any, claimer: str = "party_member") -> Any:
    """A resident's 微心愿, accepted, put in the pool and claimed by `claimer`."""
    from doorstep.cases import services as cases
    from doorstep.cases.locating import locate

    p, w = cw.personas, cw.world
    case = cases.create_case(
        actor=p["resident"],
        category=cw.wish,
        description="想请人帮忙修一下自行车",
        location=locate(building=w.building_a),
    )
    case = cases.perform(case, "accept", actor=p["community_officer"])
    case = cases.perform(case, "publish", actor=p["community_officer"])
    return cases.perform(case, "claim", actor=p[claimer])


def to_rating(cw: Any, case: Any, who: str = "party_member") -> Any:
    """A claimed case started, resolved by `who` and verified: waiting for the rating."""
    from doorstep.cases import services as cases

    p = cw.personas
    case = cases.perform(case, "start", actor=p[who])
    case = cases.perform(case, "resolve", actor=p[who], note="已修好")
    return cases.perform(case, "verify", actor=p["community_officer"])

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

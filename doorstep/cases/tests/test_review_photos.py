"""Review findings on photos: decompression bombs, and files left behind by a failed move."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from doorstep.cases import rollups, services
from doorstep.cases.locating import locate
from doorstep.cases.models import Attachment, CaseEvent
from doorstep.cases.photos import BadPhoto, check_photo

pytestmark = pytest.mark.django_db


def _png(width: int, height: int, mode: str = "1") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, "PNG", optimize=True)
    return SimpleUploadedFile("big.png", buf.getvalue(), content_type="image/png")


def test_a_decompression_bomb_below_twice_the_limit_is_refused(settings):
    settings.CASE_PHOTO_MAX_BYTES = 50 * 1024 * 1024
    limit = Image.MAX_IMAGE_PIXELS or 89_478_485
    side = int((limit * 1.2) ** 0.5) + 1  # over the limit, under twice it: Pillow only warns
    bomb = _png(side, side)
    assert bomb.size < 5 * 1024 * 1024  # a small file
    with pytest.raises(BadPhoto, match="像素过多"):
        check_photo(bomb)


def test_a_normal_photo_still_passes():
    assert check_photo(_png(64, 48, "RGB")) == "image/png"


def test_a_failed_move_leaves_no_photo_on_disk(cw, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    p = cw.personas
    case = services.create_case(
        actor=p["grid_worker_a"],
        category=cw.repair,
        description="楼道堆放杂物",
        location=locate(building=cw.world.building_a),
        kind="patrol",
        source="patrol",
        draft=True,
    )

    def boom(*a, **kw):
        raise RuntimeError("rollup store down")

    monkeypatch.setattr(rollups, "record", boom)
    with pytest.raises(RuntimeError):
        services.perform(
            case, "self_handle", actor=p["grid_worker_a"], note="已清理", photos=[_png(8, 8, "RGB")]
        )
    assert not Attachment.objects.exists()
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert [f for f in tmp_path.rglob("*") if f.is_file()] == []

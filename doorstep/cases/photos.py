"""Photos on cases: real images only (checked with Pillow), limited in size and number."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from .errors import CaseError

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


class BadPhoto(CaseError):
    pass


def check_photo(upload: Any) -> str:
    """The photo's content type, or BadPhoto with a message for the user."""
    name = getattr(upload, "name", "照片")
    size = getattr(upload, "size", None)
    if size is None or size > settings.CASE_PHOTO_MAX_BYTES:
        limit = settings.CASE_PHOTO_MAX_BYTES // (1024 * 1024)
        raise BadPhoto(f"照片“{name}”过大（不超过{limit}MB）")
    if size == 0:
        raise BadPhoto(f"照片“{name}”是空文件")
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Between one and two times Pillow's pixel limit it only warns: refuse those too
            # (a few kilobytes that unpack into gigabytes in every browser that shows them).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as img:
                fmt = img.format or ""
                width, height = img.size
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadPhoto(f"“{name}”的像素过多，不是正常的照片") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadPhoto(f"“{name}”不是有效的图片") from None
    finally:
        upload.seek(0)
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        raise BadPhoto(f"“{name}”的像素过多，不是正常的照片")
    if fmt not in ALLOWED:
        raise BadPhoto(f"“{name}”的图片格式不支持（请用JPG、PNG、WEBP）")
    return ALLOWED[fmt]


def check_photos(photos: Sequence[Any]) -> list[str]:
    if len(photos) > settings.CASE_PHOTOS_PER_MOVE:
        raise BadPhoto(f"每次最多上传{settings.CASE_PHOTOS_PER_MOVE}张照片")
    return [check_photo(p) for p in photos]


@contextmanager
def files_undone_on_error() -> Iterator[list[Any]]:
    """Wrap a transaction that saves photos: if it raises, the files it wrote to storage
    are deleted again (the rows roll back with the transaction; the files would not)."""
    saved: list[Any] = []
    try:
        yield saved
    except BaseException:
        for f in saved:
            with suppress(OSError):  # best effort
                f.storage.delete(f.name)
        raise


def save_photos(
    case: Any, event: Any, photos: Sequence[Any], actor: Any, saved: list[Any] | None = None
) -> None:
    """Store checked photos. Call check_photos first: this one raises as well, inside the
    caller's transaction, so a bad photo leaves nothing behind. Each file written is added
    to `saved` (see files_undone_on_error)."""
    from .models import Attachment

    if not photos:
        return
    types = check_photos(photos)
    user = actor if getattr(actor, "is_authenticated", False) else None
    for upload, ctype in zip(photos, types, strict=True):
        a = Attachment(
            case=case, event=event, content_type=ctype, size=upload.size, uploaded_by=user
        )
        a.file.save(getattr(upload, "name", "photo") or "photo", upload, save=False)
        if saved is not None:
            saved.append(a.file)
        a.save()

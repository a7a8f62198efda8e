"""Files kept with co-governance records (a fund line's receipt, an agreement's signed
text): a PDF or a photo, checked the way case photos are, at most 10 MB."""

from __future__ import annotations

from typing import Any

from .errors import CogovError

MAX_BYTES = 10 * 1024 * 1024


def check_document(upload: Any, label: str, field: str) -> None:
    """Refuse (CogovError on `field`) anything but a PDF or a real photo within the size."""
    from doorstep.cases.photos import BadPhoto, check_photo

    name = getattr(upload, "name", label)
    size = getattr(upload, "size", 0) or 0
    if size > MAX_BYTES:
        raise CogovError(f"{label}“{name}”过大（不超过10MB）", field)
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return
    try:
        check_photo(upload)
    except BadPhoto as exc:
        raise CogovError(exc.message.replace("照片", label), field) from None


def check_photo_only(upload: Any, label: str, field: str) -> None:
    """Refuse anything but a real photo within the size (a project's photos)."""
    from doorstep.cases.photos import BadPhoto, check_photo

    name = getattr(upload, "name", label)
    if (getattr(upload, "size", 0) or 0) > MAX_BYTES:
        raise CogovError(f"{label}“{name}”过大（不超过10MB）", field)
    try:
        check_photo(upload)
    except BadPhoto as exc:
        raise CogovError(exc.message.replace("照片", label), field) from None

"""A kept file (a fund line's receipt, a project's photo) answered to someone the caller has
already found may see it: MEDIA is not served publicly."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.http import FileResponse, Http404


def private_file(field: Any, missing: str) -> FileResponse:
    try:
        fh = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(missing) from None
    kind = mimetypes.guess_type(field.name or "")[0] or "application/octet-stream"
    response = FileResponse(fh, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

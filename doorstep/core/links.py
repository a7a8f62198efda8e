"""The site's own address for links that leave the page: QR codes, printed documents and
e-mails. DOORSTEP_SITE_URL when the operator set it; else the scheme and host the current
request came to (so a demo on another port, or behind another name, prints links that
work); else, with no request at all (a scheduled job), the local default."""

from __future__ import annotations

import contextvars

from django.conf import settings

LOCAL_DEFAULT = "http://127.0.0.1:8000"

# The origin of the request this thread is answering, "" when none (set by
# core.middleware.RequestContextMiddleware).
request_origin: contextvars.ContextVar[str] = contextvars.ContextVar("request_origin", default="")


def site_url() -> str:
    """The base address, without a trailing slash."""
    return (settings.SITE_URL or request_origin.get() or LOCAL_DEFAULT).rstrip("/")


def qr_svg(url: str) -> str:
    """A QR code of `url` as an SVG string (segno: no image files, nothing fetched)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, xmldecl=False)
    return buf.getvalue().decode()


def absolute(path: str) -> str:
    """`path` (starting with "/") as a link that works from outside the page."""
    return site_url() + path

"""Views of the shared kernel: health check, the favicon, and the error answers Django
does not route through a URL (CSRF failure)."""

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise (for load balancers and monitoring)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any /api/ address that matches no endpoint answers in JSON, like the API itself."""
    return JsonResponse(
        {"error": "not_found", "detail": "没有这个接口"},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, which browsers ask for on their own (pages name the SVG one)."""
    icon = Path(settings.BASE_DIR) / "static" / "favicon.ico"
    return FileResponse(icon.open("rb"), content_type="image/x-icon")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a Chinese page (JSON under /api/) instead of Django's English
    one; the reason stays in the server log, not on the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "error": "forbidden",
                "detail": "请求已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
            },
            status=403,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "403_csrf.html", status=403)

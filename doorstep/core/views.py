"""Views of the shared kernel: health check and the home redirect."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


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

"""The 12345 hotline import page: upload an export, see what was imported and which rows
were refused (by row number)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.cases.errors import CaseError
from doorstep.cases.hotline import fallback_for, import_hotline

from .views_common import require_any

ALLOWED_SUFFIXES = (".xlsx", ".csv")


@login_required
def hotline_import(request: HttpRequest) -> HttpResponse:
    require_any(request.user, "cases.import_hotline")
    context: dict[str, object] = {"result": None, "error": ""}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        name = (upload.name or "") if upload is not None else ""
        if upload is None:
            context["error"], status = "请选择要导入的12345工单文件（xlsx 或 csv）", 400
        elif not name.lower().endswith(ALLOWED_SUFFIXES):
            context["error"], status = "只支持 xlsx 或 csv 文件", 400
        elif (upload.size or 0) > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
            context["error"], status = f"文件过大（不超过{limit}MB）", 400
        else:
            try:
                context["result"] = import_hotline(
                    upload, name, actor=request.user, fallback=fallback_for(request.user)
                )
            except CaseError as exc:
                context["error"], status = exc.message, exc.status
    return render(request, "cases/hotline.html", context, status=status)

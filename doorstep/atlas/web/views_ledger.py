"""Ledger (台账) pages: Excel templates, imports with per-row errors, masked exports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.ledger import exporter, importer
from doorstep.atlas.people.ledger.columns import COLUMNS, SHEET_TITLES
from doorstep.atlas.people.ledger.reader import LedgerRejected
from doorstep.atlas.people.ledger.template import build_template
from doorstep.atlas.people.models import ImportJob, ImportKind, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT = "people.export_ledger"


def _page(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_export = user.has_perm(EXPORT)
    return {
        "can_import_residents": importer.may_import(user, ImportKind.RESIDENTS),
        "can_import_buildings": importer.may_import(user, ImportKind.BUILDINGS),
        "can_export": can_export,
        "export_masked": not user.has_perm("people.unmask_personal_data"),
        "grids": (
            Organisation.objects.visible_to(user).filter(kind=Kind.GRID).order_by("path")
            if can_export
            else []
        ),
        "jobs": ImportJob.objects.visible_to(user).select_related("uploaded_by")[:20],
        "max_mb": f"{settings.IMPORT_MAX_BYTES / (1024 * 1024):g}",
        **extra,
    }


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """台账: download templates, upload a ledger, export residents — as the user may."""
    if not (request.user.has_perm(importer.PERMISSION) or request.user.has_perm(EXPORT)):
        raise PermissionDenied
    return render(request, "atlas/ledger.html", _page(request))


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """The import template of one ledger (楼栋清单 or 居民台账)."""
    if not request.user.has_perm(importer.PERMISSION):
        raise PermissionDenied
    if kind not in COLUMNS:
        raise Http404
    if not importer.may_import(request.user, kind):
        raise PermissionDenied
    response = HttpResponse(build_template(kind=kind, actor=request.user), content_type=XLSX)
    disposition = content_disposition_header(True, f"{SHEET_TITLES[kind]}导入模板.xlsx")
    response["Content-Disposition"] = disposition or "attachment"
    return response


@require_POST
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Accept an upload; a file refused as a whole answers 400 and writes nothing."""
    if not request.user.has_perm(importer.PERMISSION):
        raise PermissionDenied
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    if upload is None:
        error = "请选择要导入的文件"
    else:
        try:
            job = importer.start_import(kind=kind, upload=upload, actor=request.user)
        except LedgerRejected as exc:
            error = exc.message
        else:
            return redirect("atlas:ledger_import_result", pk=job.pk)
    context = _page(request, error=error, kind=kind)
    return render(request, "atlas/ledger.html", context, status=400)


@login_required
def import_result(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: counts and the per-row error table; POST continues an interrupted run."""
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            importer.resume_import(job=job, actor=request.user)
        except LedgerRejected as exc:
            messages.error(request, exc.message)
        return redirect("atlas:ledger_import_result", pk=job.pk)
    errors = Paginator(job.errors, 200).get_page(request.GET.get("page"))
    return render(
        request,
        "atlas/ledger_import.html",
        {
            "job": job,
            "page": errors,
            "working": job.status in {ImportStatus.PENDING, ImportStatus.RUNNING},
            "can_resume": importer.can_resume(job),
            "unlisted": job.error_count - len({e["row"] for e in job.errors}),
        },
    )


@login_required
def export_residents(request: HttpRequest) -> FileResponse:
    """The resident ledger of the user's scope (or one grid of it) as Excel, masked per role."""
    if not request.user.has_perm(EXPORT):
        raise PermissionDenied
    grid = None
    if request.GET.get("grid"):
        grids = Organisation.objects.visible_to(request.user).filter(kind=Kind.GRID)
        try:
            grid = grids.get(pk=int(request.GET["grid"]))
        except (ValueError, Organisation.DoesNotExist):
            raise Http404 from None
    export = exporter.export_residents(actor=request.user, grid=grid)
    return FileResponse(
        export.file, as_attachment=True, filename=export.file_name, content_type=XLSX
    )

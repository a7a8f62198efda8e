"""Ledger (台账) pages: Excel templates, imports with per-row errors, masked exports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.ledger import exporter, importer
from doorstep.atlas.people.ledger.columns import COLUMNS, SHEET_TITLES
from doorstep.atlas.people.ledger.reader import LedgerRejected
from doorstep.atlas.people.ledger.template import build_template
from doorstep.atlas.people.models import (
    ExportJob,
    ExportStatus,
    ImportJob,
    ImportKind,
    ImportStatus,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_export = exporter.may_export(user)
    return {
        "can_import_residents": importer.may_import(user, ImportKind.RESIDENTS),
        "can_import_buildings": importer.may_import(user, ImportKind.BUILDINGS),
        "can_export": can_export,
        "export_masked": exporter.masked_for(user),
        "grids": (
            Organisation.objects.visible_to(user).filter(kind=Kind.GRID).order_by("path")
            if can_export
            else []
        ),
        "jobs": ImportJob.objects.visible_to(user).select_related("uploaded_by")[:20],
        "exports": ExportJob.objects.visible_to(user).select_related("grid")[:10],
        "max_mb": f"{settings.IMPORT_MAX_BYTES / (1024 * 1024):g}",
        **extra,
    }


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """台账: download templates, upload a ledger, export residents — as the user may."""
    if not (request.user.has_perm(importer.PERMISSION) or exporter.may_export(request.user)):
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


def _grid_asked(request: HttpRequest) -> Organisation | None:
    if not request.POST.get("grid"):
        return None
    grids = Organisation.objects.visible_to(request.user).filter(kind=Kind.GRID)
    try:
        return grids.get(pk=int(request.POST["grid"]))
    except (ValueError, Organisation.DoesNotExist):
        raise Http404 from None


@require_POST
@login_required
def export_residents(request: HttpRequest) -> HttpResponseBase:
    """The resident ledger of the user's scope (or one grid of it) as Excel, masked per
    role: written in this request when small, else as a job whose page shows its progress."""
    if not exporter.may_export(request.user):
        raise PermissionDenied
    export = exporter.export_or_queue(actor=request.user, grid=_grid_asked(request))
    if isinstance(export, ExportJob):
        return redirect("atlas:ledger_export_job", pk=export.pk)
    return FileResponse(
        export.file, as_attachment=True, filename=export.file_name, content_type=XLSX
    )


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One export job: its progress, then its download; POST asks again for one that died."""
    job = get_object_or_404(
        ExportJob.objects.visible_to(request.user).select_related("grid"), pk=pk
    )
    if request.method == "POST":
        try:
            job = exporter.retry_export(job=job, actor=request.user)
        except LedgerRejected as exc:
            messages.error(request, exc.message)
        return redirect("atlas:ledger_export_job", pk=job.pk)
    return render(
        request,
        "atlas/ledger_export.html",
        {
            "job": job,
            "working": job.status in {ExportStatus.PENDING, ExportStatus.RUNNING},
            "can_retry": exporter.can_retry(job),
            "keep_hours": exporter.keep_hours(),
        },
    )


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """A finished export's file, for its requester (audited)."""
    job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)
    try:
        handle = exporter.download(job=job, actor=request.user)
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=job.file_name, content_type=XLSX)

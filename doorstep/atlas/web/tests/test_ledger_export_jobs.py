"""Big resident ledger exports run as jobs: the request returns at once, the job's page
shows its progress and then a download only its requester may take, each download is
audited, and the file is deleted after its keeping time."""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.atlas.people.ledger import exporter
from doorstep.atlas.people.models import ExportJob, ExportStatus, Resident
from doorstep.core.masking import mask_id_card
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_INLINE_ROWS = 1  # the test world's 4 residents make a job


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST, then run what the request queued for after its commit (the job, inline)."""

    def _post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return _post


def rows_of(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book["居民台账"].iter_rows(min_row=2, values_only=True))
    book.close()
    return rows


def test_a_big_export_is_a_job_whose_download_equals_a_direct_query(world, login, post):
    client = login("street_officer", world)

    response = post(client, reverse("atlas:ledger_export"))

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("atlas:ledger_export_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-progress" max="100" value="100"' in page
    assert "共 4 行" in page
    assert "身份证号和电话已脱敏" in page
    download = client.get(reverse("atlas:ledger_export_download", args=[job.pk]))
    assert download.status_code == 200
    rows = rows_of(b"".join(download.streaming_content))
    officer = world.personas["street_officer"]
    expected = sorted(
        (r.name, mask_id_card(r.id_card), r.household.room)
        for r in Resident.objects.visible_to(officer).select_related("household")
    )
    assert sorted((r[0], r[1], r[7]) for r in rows) == expected
    assert PLANTED_ID_CARD not in str(rows)
    entries = list(AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("id"))
    assert [e.detail.get("download", False) for e in entries] == [False, True]
    assert all(e.detail["job"] == job.pk and e.detail["rows"] == 4 for e in entries)
    assert all(e.actor == officer for e in entries)


def test_only_the_requester_sees_the_job_and_its_file(world, login, post):
    post(login("community_officer", world), reverse("atlas:ledger_export"))
    job = ExportJob.objects.get()
    audited = AuditEntry.objects.filter(action=AuditAction.EXPORT).count()

    other = login("street_officer", world)
    assert other.get(reverse("atlas:ledger_export_job", args=[job.pk])).status_code == 404
    assert other.get(reverse("atlas:ledger_export_download", args=[job.pk])).status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == audited


def test_the_file_of_an_old_export_is_deleted_and_no_longer_downloads(world, login, post):
    client = login("community_officer", world)
    post(client, reverse("atlas:ledger_export"))
    old = ExportJob.objects.get()
    path = old.file.path
    ExportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=exporter.keep_hours() + 1)
    )

    post(client, reverse("atlas:ledger_export"))  # a new export purges the expired ones

    old.refresh_from_db()
    assert not old.file
    assert not os.path.exists(path)
    assert client.get(reverse("atlas:ledger_export_download", args=[old.pk])).status_code == 404
    assert "已超过保存期限" in client.get(
        reverse("atlas:ledger_export_job", args=[old.pk])
    ).content.decode("utf-8")


def test_an_export_that_died_can_be_asked_for_again(world, login, post):
    client = login("community_officer", world)
    post(client, reverse("atlas:ledger_export"), {"grid": world.grid_a.pk})
    job = ExportJob.objects.get()
    done = post(client, reverse("atlas:ledger_export_job", args=[job.pk]))
    assert ExportJob.objects.count() == 1  # a finished job is not run again
    assert done.status_code == 302
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED)

    again = post(client, reverse("atlas:ledger_export_job", args=[job.pk]))

    new = ExportJob.objects.exclude(pk=job.pk).get()
    assert again["Location"] == reverse("atlas:ledger_export_job", args=[new.pk])
    assert (new.status, new.grid, new.total) == (ExportStatus.DONE, world.grid_a, 2)


def test_a_small_export_still_downloads_in_the_request(world, login, settings, post):
    settings.EXPORT_INLINE_ROWS = 3000
    response = login("community_officer", world).post(reverse("atlas:ledger_export"))
    assert response.status_code == 200
    assert len(rows_of(b"".join(response.streaming_content))) == 3
    assert not ExportJob.objects.exists()


def test_a_job_whose_requester_lost_the_permission_writes_nothing(world):
    officer = world.personas["community_officer"]
    job = ExportJob.objects.create(requested_by=officer, total=3)
    officer.is_active = False
    officer.save()

    assert exporter.run_export_job(job.pk) == ExportStatus.FAILED

    job.refresh_from_db()
    assert not job.file
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()

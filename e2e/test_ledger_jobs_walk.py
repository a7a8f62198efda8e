"""Acceptance walk of the big ledger files, in a real browser on PostgreSQL with jobs in a
background thread (the embedded default): the community officer uploads a resident ledger
of 1,500 rows and watches its import's progress bar until it is done; then exports the
register, which is big enough to be a job, watches its progress bar and downloads the file;
the download equals a direct query of the residents the officer may see. Screenshots:
e2e/artifacts/ledger_*.png."""

from __future__ import annotations

import random

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

ROWS = 1500


def test_a_ledger_imports_and_exports_as_jobs_with_progress(
    live_world, open_page, sign_in, settings, tmp_path
):
    from doorstep.atlas.people.ledger import sample
    from doorstep.atlas.people.models import ExportJob, ImportJob, Resident

    settings.BACKGROUND_MODE = "thread"  # as the embedded default runs them
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_INLINE_ROWS = 1000
    world = live_world
    officer = world.personas["community_officer"]
    ledger = sample.write_xlsx(
        tmp_path / "居民台账.xlsx",
        (sample.resident_row(seq, world.building_a.name) for seq in range(ROWS)),
    )

    page = open_page()
    page.goto("/accounts/login/")
    sign_in(page, officer.username)
    page.wait_for_url(lambda url: "login" not in url)
    page.goto("/ledger/")
    page.get_by_label("导入类型").select_option("residents")
    page.get_by_label("文件（.xlsx 或 CSV").set_input_files(str(ledger))
    page.get_by_role("button", name="上传并导入").click()

    # The request returns at once; the page shows the job's progress until it is done.
    page.wait_for_url("**/ledger/import/*/")
    expect(page.locator("#import-progress")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "ledger_import_progress.png", full_page=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已完成", timeout=90_000)
    expect(page.locator("#import-count")).to_have_text(f"已处理 {ROWS} / {ROWS} 行（100%）")
    job = ImportJob.objects.get()
    assert (job.imported, job.error_count) == (ROWS, 0)

    page.goto("/ledger/")
    page.get_by_role("button", name="导出 Excel").click()
    page.wait_for_url("**/ledger/export/*/")
    expect(page.locator("#export-progress")).to_be_visible()
    download_link = page.locator("#export-download")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(page.locator("#export-progress")).to_have_attribute("value", "100")
    page.screenshot(path=ARTIFACTS / "ledger_export_done.png", full_page=True)
    with page.expect_download() as caught:
        download_link.click()
    path = tmp_path / "export.xlsx"
    caught.value.save_as(path)

    book = load_workbook(path, read_only=True)
    rows = list(book["居民台账"].iter_rows(min_row=2, values_only=True))
    book.close()
    expected = {
        r.id_card: (r.name, r.phone or None, r.household.room)
        for r in Resident.objects.visible_to(officer).select_related("household")
    }
    assert len(rows) == len(expected) == ROWS + 3  # and 王芳, 李建国, 張偉 of the world
    # Community staff may unmask: the numbers are in clear, as on the direct export.
    for row in random.Random(7).sample(rows, 50):
        assert expected[row[1]] == (row[0], row[2], row[7])
    assert ExportJob.objects.get().total == ROWS + 3

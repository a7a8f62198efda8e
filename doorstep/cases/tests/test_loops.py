"""The two loops of the issue, at the service level (the browser walks them in e2e/)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.cases import services
from doorstep.cases.errors import Conflict, NotAllowed
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent, Rollup
from doorstep.cases.rates import rates_for, rates_for_each
from doorstep.cases.workflow import S

pytestmark = pytest.mark.django_db


def png(name: str = "p.png") -> SimpleUploadedFile:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def test_resident_pool_claim_loop(cw, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = cw.personas
    w = cw.world
    case = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="3单元楼道灯坏了一周",
        location=locate(building=w.building_a),
    )
    assert case.status == S.SUBMITTED and case.owner == w.community_1
    before = rates_for(w.street)
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "publish", actor=p["community_officer"])
    case = services.perform(case, "claim", actor=p["party_member"])
    assert case.status == S.SIGNED
    with pytest.raises(Conflict):
        services.perform(case, "claim", actor=p["volunteer"])
    case = services.perform(case, "start", actor=p["party_member"])
    case = services.perform(
        case, "resolve", actor=p["party_member"], note="已更换灯泡", photos=[png()]
    )
    case = services.perform(case, "verify", actor=p["community_officer"])
    assert case.status == S.PENDING_RATING
    with pytest.raises(NotAllowed):
        services.perform(case, "rate", actor=p["grid_worker_a"], rating="satisfied", solved=True)
    case = services.perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    assert case.status == S.CLOSED
    after = rates_for(w.street)
    assert after["closed"] == before["closed"] + 1
    assert after["satisfaction_rate"] == 1.0
    assert CaseEvent.objects.filter(case=case).count() == case.version
    assert case.attachments.count() == 1
    assert Rollup.objects.filter(organisation=w.grid_a).exists()
    # the cockpit's side-by-side rates (one GROUP BY) agree with each node's own
    today = timezone.localtime(case.closed_at).date()  # the rollup's day is Beijing's
    nodes = [w.street, w.community_1, w.grid_a, w.grid_b]
    each = rates_for_each(nodes, today.replace(day=1), today)
    assert each == {n.pk: rates_for(n, today.replace(day=1), today) for n in nodes}
    assert each[w.grid_a.pk]["closed"] >= 1 and each[w.grid_b.pk]["closed"] == 0


def test_patrol_whistle_loop(cw):
    p = cw.personas
    w = cw.world
    case = services.create_case(
        actor=p["grid_worker_a"],
        category=cw.hazard,
        description="小区东门井盖缺失",
        location=locate(building=w.building_a),
        kind="patrol",
        source="patrol",
        draft=True,
    )
    assert case.status == S.DRAFT and case.owner == w.grid_a
    case = services.perform(case, "submit", actor=p["grid_worker_a"])
    assert case.owner == w.community_1
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "escalate", actor=p["community_officer"], note="需多部门处置")
    assert case.owner == w.street
    case = services.perform(
        case,
        "whistle",
        actor=p["street_officer"],
        departments=[cw.dept_city, cw.dept_housing],
        note="井盖缺失",
    )
    assert case.status == S.IN_PROGRESS
    case = services.perform(case, "report_in", actor=p["liaison_city"])
    case = services.perform(case, "report_in", actor=p["liaison_housing"])
    case = services.perform(case, "resolve", actor=p["liaison_city"], note="已补装井盖")
    case = services.perform(case, "verify_close", actor=p["street_officer"])
    assert case.status == S.CLOSED
    summonses = list(case.whistles.get().summonses.order_by("id"))
    assert all(s.reported_at for s in summonses)
    case = services.perform(
        case,
        "evaluate",
        actor=p["street_officer"],
        scores={summonses[0].pk: (5, "快"), summonses[1].pk: (4, "")},
    )
    assert sorted(
        Case.objects.get(pk=case.pk).whistles.get().summonses.values_list("score", flat=True)
    ) == [4, 5]

"""Every serve URL is covered: anonymous visitors go to the login page (except the public
honour and certificate pages), and a row outside the caller's scope is a 404."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from doorstep.service import teams
from doorstep.service.models import Reward
from doorstep.service.tests.helpers import hours_ago, photo

pytestmark = pytest.mark.django_db

PUBLIC = {"serve:honour_public_list", "serve:honour_public", "serve:certificate_verify"}
WITH_ID = {
    "serve:team", "serve:team_join", "serve:post_apply", "serve:holding_approve",
    "serve:holding_decline", "serve:holding_end", "serve:record_approve",
    "serve:record_reject", "serve:record_evidence", "serve:redeem", "serve:honour_public",
    "serve:certificate_docx", "serve:certificate_pdf", "serve:edit_propose",
    "serve:edit_decide", "serve:dual_decide",
}  # fmt: skip
WITHOUT_ID = {
    "serve:honours_export",
    "serve:me", "serve:teams", "serve:team_new", "serve:posts", "serve:post_new",
    "serve:record_new", "serve:review", "serve:visit_new", "serve:points", "serve:rules",
    "serve:rewards", "serve:honours", "serve:honour_publish", "serve:honour_public_list",
    "serve:certificates", "serve:certificate_verify", "serve:edits", "serve:link_coverage",
    "serve:dual_report", "serve:dual_reports",
}  # fmt: skip


def test_every_serve_url_is_listed_here():
    names = {
        f"serve:{p.name}"
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "serve"
        for p in r.url_patterns
    }
    assert names == WITH_ID | WITHOUT_ID


def test_anonymous_visitors_log_in_first_except_on_public_pages(client):
    for name in sorted(WITHOUT_ID - PUBLIC):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"], name
    for name in sorted(WITH_ID - PUBLIC):
        r = client.get(reverse(name, args=[1]))
        assert r.status_code in (302, 405), name
        if r.status_code == 302:
            assert "/accounts/login" in r["Location"], name
    assert client.get(reverse("serve:honour_public_list")).status_code == 200
    assert client.get(reverse("serve:certificate_verify")).status_code in (200, 400)


def test_rows_of_another_community_are_404(cw, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from doorstep.core.testing import make_user
    from doorstep.service import records

    w, p = cw.world, cw.personas
    other_staff = make_user("c2", "二里庄干部", ("community_staff", w.community_2))
    team = teams.create_team(actor=p["community_officer"], organisation=w.grid_a, name="队")
    post = teams.create_post(actor=p["community_officer"], organisation=w.grid_a, title="岗")
    holding = teams.apply(post, p["party_member"])
    start, end = hours_ago(5, 4)
    record = records.self_report(
        user=p["party_member"], organisation=w.community_1, started_at=start, ended_at=end,
        description="服务", evidence=photo(),
    )  # fmt: skip
    reward = Reward.objects.create(organisation=w.community_1, name="伞", cost=1, stock=1)
    client.force_login(other_staff)
    for name, pk in (
        ("serve:team", team.pk),
        ("serve:holding_approve", holding.pk),
        ("serve:holding_decline", holding.pk),
        ("serve:record_approve", record.pk),
        ("serve:record_reject", record.pk),
        ("serve:record_evidence", record.pk),
    ):
        method = client.get if name in ("serve:team", "serve:record_evidence") else client.post
        assert method(reverse(name, args=[pk])).status_code in (403, 404), name
    # rewards are the street's catalogue: another community's staff may redeem, within
    # their balance (none here), and nothing changes
    assert client.post(reverse("serve:redeem", args=[reward.pk])).status_code == 400
    assert Reward.objects.get(pk=reward.pk).stock == 1
    holding.refresh_from_db()
    record.refresh_from_db()
    assert holding.status == "applied" and record.status == "pending"


def test_odd_numbers_in_ids_and_hours_are_4xx_not_500(cw, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p, w = cw.personas, cw.world
    client.force_login(p["party_member"])
    r = client.post(reverse("serve:certificates"), {"organisation": "²"})
    assert r.status_code == 400
    assert client.get(reverse("serve:honours"), {"org": "²"}).status_code == 400
    r = client.post(
        reverse("serve:record_new"),
        {"organisation": w.community_1.pk, "started_at": "0001-01-01T00:10",
         "ended_at": "0001-01-01T01:00", "description": "古代服务", "evidence": photo()},
    )  # fmt: skip
    assert r.status_code == 400 and "一年以内" in r.content.decode()
    client.force_login(p["community_officer"])
    assert client.post(reverse("serve:rewards"), {"reward": "²"}).status_code == 404
    from doorstep.service import records

    start, end = hours_ago(5, 3)
    record = records.self_report(
        user=p["party_member"], organisation=w.community_1, started_at=start, ended_at=end,
        description="服务", evidence=photo(),
    )  # fmt: skip
    records.approve(record, actor=p["community_officer"])
    r = client.post(
        reverse("serve:edit_propose", args=[record.pk]), {"hours": "1e30", "reason": "x"}
    )
    assert r.status_code == 400


def test_staff_queue_shows_only_their_subtrees_applications(cw, client):
    from doorstep.core.testing import make_user

    w = cw.world
    other = make_user("c2staff", "二里庄干部", ("community_staff", w.community_2))
    neighbour = make_user("c2res", "二里庄居民", ("resident", w.grid_c))
    post = teams.create_post(actor=other, organisation=w.grid_c, title="二里庄楼道长")
    holding = teams.apply(post, neighbour)
    client.force_login(cw.personas["community_officer"])
    page = client.get(reverse("serve:posts")).content.decode()
    assert "二里庄居民" not in page
    assert client.post(reverse("serve:holding_approve", args=[holding.pk])).status_code == 404
    holding.refresh_from_db()
    assert holding.status == "applied"

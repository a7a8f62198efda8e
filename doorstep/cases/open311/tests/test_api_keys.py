"""Open311 API keys: a key's user, the per-key rate limit, issuing and revoking in the admin."""

from __future__ import annotations

from django.urls import reverse

from doorstep.cases.models import Case
from doorstep.cases.open311 import keys
from doorstep.cases.open311.models import ApiKey
from doorstep.core.models import AuditEntry

from .helpers import post_request


def test_key_with_a_user_files_as_that_user(api, o3):
    member = o3.cw.personas["party_member"]
    key, secret = keys.issue_key(name="党员App", user=member, actor=None)
    response = api.post(
        "requests.json",
        {
            "api_key": secret,
            "service_code": "C01",
            "description": "想要一本字典",
            "address_string": "静淑苑1号楼3单元",
        },
    )
    assert response.status_code == 200, response.content.decode()
    case = Case.objects.get(number=response.data[0]["service_request_id"])
    assert case.reporter == member
    assert case.kind == "micro_wish"
    assert case.territory == o3.cw.world.grid_a
    member.is_active = False
    member.save(update_fields=["is_active"])
    again = api.post(
        "requests.json",
        {
            "api_key": secret,
            "service_code": "C01",
            "description": "再来一本",
            "address_string": "静淑苑1号楼",
        },
    )
    assert again.status_code == 403


def test_rate_limit_answers_429_and_files_nothing(api, o3, monkeypatch):
    clock = [1_800_000_000.0]
    monkeypatch.setattr(keys, "_clock", lambda: clock[0])
    ApiKey.objects.filter(pk=o3.key.pk).update(rate_limit_per_minute=2)
    here = {"lat": o3.lat, "long": o3.lon}
    assert post_request(api, o3, **here).status_code == 200
    assert post_request(api, o3, "xml", description=None, **here).status_code == 400  # counts too
    before = Case.objects.count()
    over = post_request(api, o3, **here)
    assert over.status_code == 429
    assert "每分钟最多 2 次" in over.data[0]["description"]
    assert post_request(api, o3, "xml", **here).status_code == 429
    assert Case.objects.count() == before
    # Another key has its own window; the next minute starts afresh.
    _other, other_secret = keys.issue_key(name="另一个", actor=None)
    assert post_request(api, o3, api_key=other_secret, **here).status_code == 200
    clock[0] += 60
    assert post_request(api, o3, **here).status_code == 200


def test_admin_issues_a_key_once_and_revokes_it(api, o3, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="Root-pass-2026")
    client = api.client
    client.force_login(root)
    response = client.post(
        reverse("admin:open311_apikey_add"),
        {"name": "12345热线对接", "rate_limit_per_minute": "30", "user": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="12345热线对接")
    messages = [str(m) for m in response.context["messages"]]
    [secret] = [m.rsplit("：", 1)[1] for m in messages if "只显示这一次" in m]
    assert secret.startswith(keys.SECRET_PREFIX) and key.prefix == secret[:12]
    assert key.key_hash == keys.hash_secret(secret) and secret not in key.key_hash
    assert key.rate_limit_per_minute == 30 and key.user is None and key.active
    assert AuditEntry.objects.filter(target_type="open311.apikey", target_id=str(key.pk)).exists()
    # The secret is never shown again.
    change = client.get(reverse("admin:open311_apikey_change", args=[key.pk]))
    assert change.status_code == 200 and secret not in change.content.decode()
    assert client.get(reverse("admin:open311_apikey_changelist")).status_code == 200

    client.logout()
    here = {"lat": o3.lat, "long": o3.lon}
    assert post_request(api, o3, api_key=secret, **here).status_code == 200

    client.force_login(root)
    client.post(
        reverse("admin:open311_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.active and key.revoked_at is not None
    client.logout()
    assert post_request(api, o3, api_key=secret, **here).status_code == 403

from django.test import override_settings
from django.urls import reverse

from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PASSWORD


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_and_logout_are_audited(world, client):
    response = _login(client, "street", PASSWORD)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert entry.actor_name == "street" and entry.ip == "127.0.0.1"
    client.post(reverse("accounts:logout"))
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor_name="street").count() == 1


def test_a_failed_login_is_audited_without_the_password(world, client):
    response = _login(client, "street", "wrong-password-123")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert entry.actor_name == "street"
    assert "wrong-password-123" not in entry.payload()


@override_settings(LOGIN_LOCKOUT_FAILURES=3)
def test_repeated_failures_lock_the_account_from_that_address(world, client):
    for _ in range(3):
        _login(client, "street", "nope-nope-nope")
    response = _login(client, "street", PASSWORD)
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()
    # Another account from the same address is not affected.
    assert _login(client, "grid_a", PASSWORD).status_code == 302


def test_pages_answer_in_chinese(world, client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "登录" in body and 'lang="zh-Hans"' in body


def test_healthz_answers_when_the_database_is_reachable(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@override_settings(LOGIN_LOCKOUT_FAILURES=5)
def test_forged_client_addresses_neither_dodge_the_lockout_nor_enter_the_audit_log(world, client):
    """Trust probe, finding 5: 20 wrong passwords from 20 forged X-Real-IP addresses never
    locked the account, and the audit log recorded the forged addresses."""
    for i in range(20):
        client.post(
            reverse("accounts:login"),
            {"username": "street", "password": "nope-nope-nope"},
            HTTP_X_REAL_IP=f"203.0.113.{i + 1}",
        )
    response = _login(client, "street", PASSWORD)
    assert "登录失败次数过多" in response.content.decode()
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert set(failed.values_list("ip", flat=True)) == {"127.0.0.1"}


@override_settings(TRUSTED_PROXIES=["127.0.0.0/8"])
def test_behind_a_listed_proxy_its_x_real_ip_is_the_client(world, client):
    client.post(
        reverse("accounts:login"),
        {"username": "street", "password": PASSWORD},
        HTTP_X_REAL_IP="198.51.100.7",
    )
    assert AuditEntry.objects.get(action=AuditAction.LOGIN).ip == "198.51.100.7"


@override_settings(LOGIN_LOCKOUT_FAILURES=5)
def test_the_lockout_does_not_tell_which_usernames_exist(world, client):
    """Trust probe, finding 6: an existing user was locked from the 6th try, a made-up one
    never, which told an attacker which accounts exist."""
    answers = {}
    for username in ("street", "no-such-user-4711"):
        for _ in range(5):
            _login(client, username, "nope-nope-nope")
        answers[username] = _login(client, username, "nope-nope-nope").content.decode()
    assert all("登录失败次数过多" in body for body in answers.values())
    # The made-up name is never written down in clear.
    names = set(AuditEntry.objects.values_list("actor_name", flat=True))
    assert "no-such-user-4711" not in " ".join(names)


@override_settings(LOGIN_LOCKOUT_FAILURES=5, LOGIN_LOCKOUT_IP_FAILURES=8)
def test_one_address_trying_many_names_must_wait(world, client):
    for i in range(8):
        _login(client, f"guess{i}", "nope-nope-nope")
    response = _login(client, "street", PASSWORD)  # a real account, the right password
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session

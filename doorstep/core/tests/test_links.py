"""Links that leave the page (e-mails, QR codes, printed check addresses) follow the site:
the operator's DOORSTEP_SITE_URL when set, else the host the request came to, else the
local default when there is no request at all."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from doorstep.accounts.models import User
from doorstep.core import links
from doorstep.inbox.channels import EmailChannel, Message

pytestmark = pytest.mark.django_db

RESET = re.compile(r"(https?://[^/\s]+)/\S*password/reset/\S+")


def _reset_mail_origin(client, world, host: str) -> str:
    User.objects.filter(pk=world.personas["grid_worker_a"].pk).update(email="gw@example.org")
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": "gw@example.org"}, HTTP_HOST=host)
    [sent] = mail.outbox
    found = RESET.search(sent.body)
    assert found, sent.body
    return found.group(1)


def test_a_reset_mail_links_to_the_host_and_port_it_was_asked_from(world, client, settings):
    settings.SITE_URL = ""
    assert _reset_mail_origin(client, world, "testserver:8123") == "http://testserver:8123"


def test_the_operators_site_url_wins_over_the_request(world, client, settings):
    settings.SITE_URL = "https://jmk.example.cn/"
    assert _reset_mail_origin(client, world, "testserver:8123") == "https://jmk.example.cn"


def test_with_no_request_the_local_default_is_used(settings):
    settings.SITE_URL = ""
    assert links.site_url() == links.LOCAL_DEFAULT == "http://127.0.0.1:8000"
    assert links.absolute("/cases/") == "http://127.0.0.1:8000/cases/"


def test_a_mail_sent_later_by_a_worker_keeps_the_senders_site(world, settings):
    """The worker has no request: the site travels with the message."""
    settings.SITE_URL = ""
    user = world.personas["grid_worker_a"]
    User.objects.filter(pk=user.pk).update(email="gw@example.org")
    mail.outbox.clear()
    queued = Message(
        user_id=user.pk, kind="case", title="新工单", url="/cases/7/", site="http://10.0.0.5:8080"
    )
    EmailChannel().send([queued])
    [sent] = mail.outbox
    assert sent.body.endswith("http://10.0.0.5:8080/cases/7/")

"""Every page carries a Content-Security-Policy that runs scripts from our own files only,
and no page has an inline script or an on* attribute that such a policy would block
(trust probe, finding 8: there was no CSP, and three pages had inline scripts)."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver

from .test_canaries import SKIP_PREFIXES, _fill, _patterns

pytestmark = pytest.mark.django_db

# A script element without src that would run (a JSON data block does not).
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.I)
# An attribute named on…= inside a tag (not text such as "on=" in a sentence).
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def _script_src(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *values = directive.split()
        if name == "script-src":
            return values
    return []


@pytest.mark.walk
def test_every_page_has_a_strict_policy_and_no_inline_script(cw, client):
    w = cw.world
    ids = [w.planted.pk, w.household_a.pk, w.building_a.pk, w.grid_a.pk, w.community_1.pk]
    pages = sorted(
        {
            url
            for route in _patterns(get_resolver().url_patterns)
            for url in _fill(route, ids, ["x"])
            if not url.startswith(SKIP_PREFIXES) and not url.startswith("/api/")
        }
    )
    assert len(pages) > 100
    checked, found = 0, []
    for persona in ("street_officer", "community_officer", "resident", "security_admin"):
        client.force_login(cw.personas[persona])
        for url in pages:
            response = client.get(url)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            policy = response.get("Content-Security-Policy", "")
            if _script_src(policy) != ["'self'"]:
                found.append((persona, url, "policy", policy[:80]))
            body = response.content.decode("utf-8", "replace")
            for bad in INLINE_SCRIPT.findall(body) + HANDLER.findall(body):
                found.append((persona, url, "inline", bad[:80]))
    assert checked > 200
    assert found == [], "\n".join(map(str, found[:40]))

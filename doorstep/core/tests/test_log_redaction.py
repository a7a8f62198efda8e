"""No full ID or mobile number in any log line (trust probe, finding 1).

Before, a number reached the logs through runserver's access lines (query strings), Django's
"Bad Request" warnings and tracebacks that quote values; nothing filtered them.
"""

from __future__ import annotations

import io
import logging

import pytest

from doorstep.core.redact import RedactFilter, redact

ID = "11010819850307000X"
PHONE = "13912345678"


def test_every_configured_handler_redacts(settings):
    handlers = settings.LOGGING["handlers"]
    assert {"console", "django.server"} <= set(handlers)
    assert [name for name, h in handlers.items() if "redact" not in h.get("filters", [])] == []
    # Django's own defaults (a console while DEBUG, mail to ADMINS) are gone from its logger:
    # what it logs reaches the root's redacting handler.
    django_handlers = logging.getLogger("django").handlers
    assert [h for h in django_handlers if type(h).__module__.startswith("django")] == []
    ours = [
        h for h in logging.getLogger("django.server").handlers if type(h).__module__ == "logging"
    ]
    assert ours and all(any(isinstance(f, RedactFilter) for f in h.filters) for h in ours)


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"GET /search/?q={ID} 200", "GET /search/?q=110***********000X 200"),
        (f"phone={PHONE}&x=1", "phone=139****5678&x=1"),
        (f"身份证{ID.lower()}，电话{PHONE}。", "身份证110***********000x，电话139****5678。"),
        # Longer runs (order numbers, timestamps in ms) are not numbers of a person.
        ("case 2026120300001234567890", "case 2026120300001234567890"),
        ("ts 1733212345678901", "ts 1733212345678901"),
    ],
)
def test_redact_masks_numbers_and_leaves_other_digits(text, expected):
    assert redact(text) == expected


def test_a_record_with_args_and_a_traceback_is_redacted_in_every_part():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    log = logging.getLogger("doorstep.test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError(f"duplicate key (id_card)=({ID})")
        except ValueError:
            log.exception("saving %s with phone %s failed", ID, PHONE)
        log.warning("Bad Request: /api/residents?q=%(q)s", {"q": PHONE})
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert ID not in out and PHONE not in out and ID[6:14] not in out
    assert out.count("110***********000X") == 2 and out.count("139****5678") == 2
    assert "Traceback" in out and "ValueError" in out

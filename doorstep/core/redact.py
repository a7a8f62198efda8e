"""Personal numbers out of every log line (日志脱敏).

A full ID or mobile number can reach a log through a URL, an error message or a traceback
(a database error quoting a row). `RedactFilter` sits on every handler the settings (and the
production server's log config) define: it renders the line's message — and its traceback,
if any — and replaces each ID number (18 digits with a valid birth date) and mobile number
(11 digits starting 13–19) by its masked form, so the log still says which record it was
about as far as the masked pages do.
"""

from __future__ import annotations

import logging
import re

from .masking import mask_id_card, mask_phone

# Digits not preceded or followed by another digit, so an order number that merely
# contains such a run is left alone only when longer; %-encoded forms are digits too.
ID_NUMBER = re.compile(
    r"(?<![0-9０-９])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9０-９])"
)
PHONE = re.compile(r"(?<![0-9０-９])1[3-9]\d{9}(?![0-9０-９])")


def redact(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: mask_id_card(m.group()), text)
    return PHONE.sub(lambda m: mask_phone(m.group()), text)


class RedactFilter(logging.Filter):
    """Rewrites the record in place (every later handler sees the redacted form)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what there is, redacted
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True

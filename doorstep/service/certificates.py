"""Service certificates (志愿服务证明): issuing one with frozen figures, rendering it as
.docx and PDF, and the public check by number.

The figures (verified hours and records in the period, under the issuing organisation's
subtree) are copied into the certificate when it is issued; later changes to records do
not alter a certificate already handed out. The number is random, so the public check
page cannot be walked."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import Resident
from doorstep.core import audit, links, officedoc
from doorstep.core.masking import mask_id_card, mask_name
from doorstep.core.models import AuditAction

from .errors import Conflict, Denied, ServiceError
from .models import Certificate, RecordStatus, ServiceRecord

# Certificates are issued by a community, a street or a district, never by a grid.
ISSUER_KINDS = (Kind.COMMUNITY, Kind.STREET, Kind.DISTRICT)
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed by hand
NUMBER_RANDOM_CHARS = 10
NUMBER_MAX_LENGTH = 24
MAX_YEARS = 5


def new_number(year: int) -> str:
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_CHARS))
    return f"ZY{year}{tail}"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _is_staff_over(user: Actor, org: Organisation) -> bool:
    return scope_of(user).covers(org.path)


def _verified(user: Actor, org: Organisation, start: dt.date, end: dt.date) -> QuerySet[Any]:
    return ServiceRecord.objects.filter(
        user=user,
        status=RecordStatus.VERIFIED,
        organisation_path__startswith=org.path,
        started_at__date__gte=start,
        started_at__date__lte=end,
    )


def issuers_for(user: Actor) -> QuerySet[Organisation]:
    """The organisations that may certify the user's own service: the communities (and
    the streets above them) under which the user has verified records."""
    paths = set(
        ServiceRecord.objects.filter(user=user, status=RecordStatus.VERIFIED)
        .values_list("organisation_path", flat=True)
        .distinct()
    )
    ids = {int(x) for p in paths for x in p.strip("/").split("/") if x}
    issuers = Organisation.objects.outside_door("who may certify the user's own service")
    return issuers.filter(pk__in=ids, kind__in=ISSUER_KINDS).order_by("path")


def may_issue(actor: Actor, *, user: Actor, org: Organisation) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if org.kind not in ISSUER_KINDS:
        return False
    if actor.pk == user.pk and issuers_for(user).filter(pk=org.pk).exists():
        return True
    return _is_staff_over(actor, org)


def _name_and_id(user: Actor) -> tuple[str, str]:
    resident = Resident.objects.filter(user=user).first()
    if resident is None:
        return (user.display_name or user.get_username()), ""
    return resident.name, mask_id_card(resident.id_card)


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ServiceError("截止日期不能早于起始日期", "period_end")
    if end > timezone.localdate():
        raise ServiceError("截止日期不能晚于今天", "period_end")
    if end >= _add_years(start, MAX_YEARS):
        raise ServiceError(f"一份证明的时段不超过{MAX_YEARS}年", "period_start")


def issue(
    user: Actor,
    *,
    organisation: Organisation,
    period_start: dt.date,
    period_end: dt.date,
    actor: Actor,
) -> Certificate:
    """Issue the certificate of the user's verified service under the organisation in the
    period. One per user, organisation and period (the database says so)."""
    if not may_issue(actor, user=user, org=organisation):
        raise Denied("您不能以该组织的名义出具证明")
    _check_period(period_start, period_end)
    totals = _verified(user, organisation, period_start, period_end).aggregate(
        hours=Sum("hours"), records=Count("pk")
    )
    hours = totals["hours"] or Decimal("0")
    if hours <= 0:
        raise ServiceError("该时段没有已认定的服务时长", "period_start")
    name, id_masked = _name_and_id(user)
    identity = {
        "user": user,
        "organisation": organisation,
        "period_start": period_start,
        "period_end": period_end,
    }
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                cert = Certificate.objects.create(
                    number=new_number(timezone.localtime(now).year),
                    name=name,
                    id_masked=id_masked,
                    hours=hours,
                    records=totals["records"],
                    issued_at=now,
                    **identity,
                )
                audit.record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    target=cert,
                    detail={"certificate": cert.number, "user": user.pk, "hours": str(hours)},
                )
            return cert
        except IntegrityError:
            existing = Certificate.objects.filter(**identity).first()
            if existing is not None:
                raise Conflict(
                    f"该时段的证明已出具，编号 {existing.number}", "period_start"
                ) from None
            # Otherwise the random number collided: draw again.
    raise ServiceError("证明编号生成失败，请重试")


def clean_number(raw: str | None) -> str:
    """The number as typed, normalised; ServiceError if it cannot be a number at all."""
    value = (raw or "").strip().upper()
    if not value:
        raise ServiceError("请输入证明编号", "n")
    if len(value) > NUMBER_MAX_LENGTH or not value.isascii() or not value.isalnum():
        raise ServiceError("证明编号格式不正确：只含字母和数字，不超过24位", "n")
    return value


def verify(number: str | None) -> Certificate | None:
    """The certificate with this number (case and surrounding spaces ignored), or None."""
    value = clean_number(number)
    return Certificate.objects.select_related("organisation").filter(number=value).first()


def public_name(name: str) -> str:
    """李建国 -> 李**: what the public check page shows."""
    return mask_name(name)


def export_audit(cert: Certificate, *, actor: Actor, fmt: str) -> None:
    """A download hands out personal data: record who took which certificate."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT,
            target=cert,
            detail={"certificate": cert.number, "format": fmt, "user": cert.user_id},
        )


# ---------------------------------------------------------------- rendering

TITLE = "志愿服务证明"


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _hours_text(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def verify_hint() -> str:
    return f"可在 {links.absolute(reverse('serve:certificate_verify'))} 输入编号核验"


def lines(cert: Certificate) -> dict[str, Any]:
    """What both renderings print: the body sentence and the labelled figures."""
    issued = timezone.localtime(cert.issued_at).date()
    id_part = f"（身份证号：{cert.id_masked}）" if cert.id_masked else ""
    body = (
        f"兹证明 {cert.name}{id_part} 于 {_date(cert.period_start)}至{_date(cert.period_end)}"
        f"期间，在{cert.organisation.name}参加志愿服务 {cert.records} 次，"
        f"经认定服务时长共计 {_hours_text(cert.hours)} 小时。特此证明。"
    )
    rows = [
        ("姓名", cert.name),
        ("身份证号", cert.id_masked or "（未登记）"),
        ("认定服务时长", f"{_hours_text(cert.hours)} 小时"),
        ("服务次数", f"{cert.records} 次"),
        ("服务时段", f"{_date(cert.period_start)} 至 {_date(cert.period_end)}"),
        ("出具组织", cert.organisation.name),
        ("证明编号", cert.number),
        ("出具日期", _date(issued)),
    ]
    return {"body": body, "rows": rows, "hint": verify_hint()}


def render_docx(cert: Certificate) -> bytes:
    """The certificate as a Word document laid out like a 公文 (core/officedoc.py)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    text = lines(cert)
    doc = officedoc.new_document()
    doc.add_heading(TITLE, level=0)
    officedoc.body_paragraph(doc, text["body"])
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in text["rows"]:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    doc.add_paragraph()
    for line in (cert.organisation.name, text["rows"][-1][1]):
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    hint = doc.add_paragraph()
    officedoc.set_fonts(hint.add_run(text["hint"]), officedoc.BODY_FONT, officedoc.SIZE_SMALL_4)
    return officedoc.to_bytes(doc)


def render_pdf(cert: Certificate) -> bytes | None:
    """The PDF on A4 with the 公文 margins, its Chinese font embedded (officedoc.pdf_font);
    None if reportlab is absent."""
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.pdfbase.pdfmetrics import stringWidth
        from reportlab.pdfgen import canvas
    except ImportError:  # pragma: no cover - reportlab is in requirements
        return None

    font = officedoc.pdf_font()
    text = lines(cert)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, initialFontName=font)  # no stray Helvetica
    page.setTitle(f"{TITLE} {cert.number}")
    page.setSubject(cert.number)  # plain ASCII metadata: findable without a CID text parser
    width, height = A4
    left, right = officedoc.MARGIN_LEFT * mm, width - officedoc.MARGIN_RIGHT * mm
    line = officedoc.BODY_LINE
    y = height - officedoc.MARGIN_TOP * mm - officedoc.SIZE_2
    page.setFont(font, officedoc.SIZE_2)
    page.drawCentredString((left + right) / 2, y, TITLE)
    y -= 2 * line
    page.setFont(font, officedoc.SIZE_3)
    for indent, part in _wrap_width(text["body"], right - left, font, officedoc.SIZE_3, indent=2):
        page.drawString(left + indent * officedoc.SIZE_3, y, part)
        y -= line
    y -= line / 2
    label_width = max(
        stringWidth(f"{label}：", font, officedoc.SIZE_3) for label, _ in text["rows"]
    )
    for label, value in text["rows"]:
        page.drawString(left + 2 * officedoc.SIZE_3, y, f"{label}：")
        page.drawString(left + 2 * officedoc.SIZE_3 + label_width, y, value)
        y -= line
    y -= line
    page.drawRightString(right, y, cert.organisation.name)
    page.drawRightString(right, y - line, text["rows"][-1][1])
    page.setFont(font, officedoc.SIZE_SMALL_4)
    bottom = officedoc.MARGIN_BOTTOM * mm
    for n, (_, part) in enumerate(
        _wrap_width(text["hint"], right - left, font, officedoc.SIZE_SMALL_4)
    ):
        page.drawString(left, bottom + 18 - n * 16, part)
    page.showPage()
    page.save()
    return out.getvalue()


def _wrap_width(
    value: str, width: float, font: str, size: float, indent: int = 0
) -> list[tuple[int, str]]:
    """Break text into lines that fit `width` points; the first line is indented by
    `indent` characters. Yields (indent, line). A number or a Latin word is not split."""
    import re

    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[tuple[int, str]] = []
    current, first = "", True
    for char in re.findall(r"[\x21-\x7e]+|.", value):
        room = width - (indent * size if first else 0)
        if current and stringWidth(current + char, font, size) > room:
            out.append((indent if first else 0, current))
            current, first = "", False
        current += char
    if current:
        out.append((indent if first else 0, current))
    return out

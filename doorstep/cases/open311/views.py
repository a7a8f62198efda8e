"""Open311 GeoReport v2 endpoints (/open311/v2/…), plain Django views.

GET needs no key. POST requests.{fmt} needs an `api_key` (form field or query string),
is rate-limited per key and is exempt from CSRF (no cookie or session is used).
Every error answers with the spec's error array and the right HTTP status; nothing is
written unless the whole case is.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from doorstep.atlas.places.models import Building
from doorstep.cases.errors import CaseError
from doorstep.cases.locating import locate
from doorstep.cases.models import CaseKind, Category, Source
from doorstep.cases.services import create_case
from doorstep.cases.workflow import UNFINISHED
from doorstep.core.idcard import validate_phone
from doorstep.core.text import refusal

from . import keys
from .public import (
    CLOSED_STATUSES,
    DESCRIPTION_MAX,
    PUBLIC_KINDS,
    public_cases,
    public_categories,
    request_dict,
    request_dicts,
    service_definition,
    services_list,
)
from .render import FORMATS, error, respond

MAX_REQUESTS = 1000
MAX_SPAN = dt.timedelta(days=90)
CHANGESET = "2026-11-22T00:00:00+08:00"
_NUMBER = re.compile(r"^[0-9]{1,32}$")


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def endpoint(*methods: str) -> Callable[..., Any]:
    """Check the format and the method; turn ApiError and CaseError into error arrays."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                return error(404, f"不支持的格式：{fmt[:20]}（可用 json 或 xml）")
            if request.method not in methods:
                response = error(405, f"不支持 {request.method} 方法", fmt)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except ApiError as e:
                return error(e.status, e.description, fmt)
            except CaseError as e:
                return error(e.status if e.status >= 400 else 400, e.message, fmt)
            except (SuspiciousOperation, UnicodeError):  # body too big, too many fields…
                return error(400, "请求格式不正确", fmt)

        return inner

    return wrap


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = "xml" if rest.endswith(".xml") else "json"
    return error(404, "没有这个接口", fmt)


def _param(request: HttpRequest, name: str, *, post: bool = False, many: bool = False) -> str:
    """One parameter, stripped; NUL and other binary garbage answer 400, not 500.

    `many`: a list parameter, which may also be repeated (status=open&status=closed).
    """
    if many:
        value = ",".join(request.GET.getlist(name))
    else:
        value = (request.POST.get(name) if post else None) or request.GET.get(name) or ""
    if message := refusal(value):
        raise ApiError(400, f"参数 {name} {message}")
    return value.strip()


# ---------------------------------------------------------------- discovery and services


@endpoint("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", "") or f"{settings.DEFAULT_FROM_EMAIL}",
        "key_service": "请向系统安全管理员申请 Open311 接口密钥（后台 › Open311接口密钥）",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "application/xml"],
            }
        ],
    }
    return respond(data, fmt, "discovery")


@endpoint("GET", "HEAD")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(services_list(), fmt, "services")


def _service(code: str) -> Category:
    if "\x00" in code or len(code) > 64:
        raise ApiError(404, "没有这个服务类型")
    category = public_categories().filter(code=code).first()
    if category is None:
        raise ApiError(404, f"没有这个服务类型：{code}")
    return category


@endpoint("GET", "HEAD")
def service(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return respond(service_definition(_service(code)), fmt, "service_definition")


# ---------------------------------------------------------------- reading requests


def _when(request: HttpRequest, name: str) -> dt.datetime | None:
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+", 1) if "T" in raw else raw)
        if value is None:
            day = parse_date(raw)
            if day is not None:
                value = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        value = None
    if value is None:
        raise ApiError(400, f"{name} 不是有效的 ISO 8601 时间，例如 2026-11-05T08:15:30+08:00")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _requests(request: HttpRequest, fmt: str) -> HttpResponse:
    qs = public_cases()
    ids = _param(request, "service_request_id", many=True)
    if ids:
        numbers = [x.strip() for x in ids.split(",") if x.strip()]
        if not numbers or len(numbers) > MAX_REQUESTS or not all(_NUMBER.match(n) for n in numbers):
            raise ApiError(400, "service_request_id 应为以逗号分隔的工单编号")
        qs = qs.filter(number__in=numbers)  # overrides every other filter (spec)
    else:
        codes = [
            c.strip() for c in _param(request, "service_code", many=True).split(",") if c.strip()
        ]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {
            s.strip().lower() for s in _param(request, "status", many=True).split(",") if s.strip()
        }
        if statuses - {"open", "closed"}:
            raise ApiError(400, "status 只能是 open 或 closed")
        if statuses == {"open"}:  # not closed, said positively (drafts are never public):
            qs = qs.filter(status__in=UNFINISHED)  # the few unfinished ones
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=CLOSED_STATUSES)
        start, end = _when(request, "start_date"), _when(request, "end_date")
        if start is None:
            end = end or timezone.now()
            start = end - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
        if end < start:
            raise ApiError(400, "end_date 不能早于 start_date")
        if end - start > MAX_SPAN:
            raise ApiError(400, "查询的时间跨度不能超过90天")
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    rows = qs.order_by("-created_at", "-id")[:MAX_REQUESTS]
    return respond(request_dicts(rows), fmt, "service_requests")


@endpoint("GET", "HEAD")
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    case = public_cases().filter(number=number).first() if _NUMBER.match(number) else None
    if case is None:
        raise ApiError(404, f"没有这个工单：{number[:40]}")
    return respond([request_dict(case)], fmt, "service_requests")


@endpoint("GET", "HEAD")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    case = None
    if re.fullmatch(r"[0-9a-f]{8,40}", token):
        case = public_cases().filter(token=token).first()
    if case is None:
        raise ApiError(404, "没有这个令牌")
    return respond([{"service_request_id": case.number, "token": token}], fmt, "service_requests")


# ---------------------------------------------------------------- filing a request


def _coordinate(request: HttpRequest, name: str) -> float | None:
    raw = _param(request, name, post=True)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ApiError(400, "坐标无效")
    return value


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = keys.key_for_secret(_param(request, "api_key", post=True))
    if key is None:
        raise ApiError(403, "api_key 无效或已停用")
    if not keys.take(key):
        raise ApiError(429, f"请求过于频繁：每个密钥每分钟最多 {key.rate_limit_per_minute} 次")
    for name, values in request.POST.lists():
        for value in values:
            if message := refusal(value):
                raise ApiError(400, f"参数 {name[:40]} {message}")

    code = _param(request, "service_code", post=True)
    if not code:
        raise ApiError(400, "缺少 service_code")
    category = public_categories().filter(code=code).first()
    if category is None:
        raise ApiError(400, f"没有这个服务类型：{code[:64]}")
    description = _param(request, "description", post=True)
    if not description:
        raise ApiError(400, "请填写诉求内容（description）")
    if len(description) > DESCRIPTION_MAX:
        raise ApiError(400, f"诉求内容过长（最多{DESCRIPTION_MAX}字）")

    lat, lon = _coordinate(request, "lat"), _coordinate(request, "long")
    if (lat is None) != (lon is None):
        raise ApiError(400, "lat 和 long 须同时提供")
    address = _param(request, "address_string", post=True)[:200]
    building = None
    address_id = _param(request, "address_id", post=True)
    if address_id:
        if not re.fullmatch(r"[0-9]{1,18}", address_id):
            raise ApiError(400, "address_id 无效")
        named = Building.objects.outside_door("the building a client names as the address")
        building = named.select_related("grid").filter(pk=int(address_id)).first()
        if building is None:
            raise ApiError(400, "address_id 无效")
    if lat is None and not address and building is None:
        raise ApiError(400, "请提供位置：lat 和 long、address_string 或 address_id")
    location = locate(building=building, lat=lat, lon=lon, address=address)

    phone = _param(request, "phone", post=True)
    if phone:
        try:
            phone = validate_phone(phone)
        except ValueError as e:
            raise ApiError(400, str(e)) from None
    first, last = _param(request, "first_name", post=True), _param(request, "last_name", post=True)
    contact_name = f"{last}{first}" if _cjk(last + first) else f"{first} {last}".strip()
    anonymous = _param(request, "anonymous", post=True).lower() in {"1", "true", "yes"}

    case = create_case(
        actor=key.user,
        category=category,
        description=description,
        location=location,
        kind=category.kind if category.kind in PUBLIC_KINDS else CaseKind.REQUEST,
        source=Source.OPEN311,
        anonymous=anonymous,
        contact_name=contact_name[:64],
        contact_phone=phone,
    )
    notice = f"诉求已提交，工单编号 {case.number}，{case.owner.name}将尽快受理。"
    data = [{"service_request_id": case.number, "token": case.token, "service_notice": notice}]
    return respond(data, fmt, "service_requests")


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@endpoint("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _requests(request, fmt)

"""The offline basemap as JSON for every map of the platform (static/js/basemap.js)."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from doorstep.atlas.places import basemap
from doorstep.atlas.places.models import MapFeature

# A box wider than this (degrees, about 5 km) is drawn without buildings: at that zoom they
# are specks, and a district holds tens of thousands.
BUILDINGS_UP_TO = 0.05
MAX_BOX = 2.0


def _box(raw: str) -> tuple[float, float, float, float] | None:
    try:
        south, west, north, east = (float(v) for v in raw.split(","))
    except ValueError:
        return None
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        return None
    if north - south > MAX_BOX or east - west > MAX_BOX:
        return None
    return south, west, north, east


@require_GET
@login_required
def basemap_json(request: HttpRequest) -> HttpResponse:
    """`?bbox=south,west,north,east` → {"features": [[kind, rank, name, closed, points]],
    "attribution": …}; 400 with a Chinese message for a missing or bad box."""
    box = _box(request.GET.get("bbox", ""))
    if box is None:
        return JsonResponse(
            {"detail": "bbox 参数应为“南,西,北,东”四个数（纬度、经度，范围不超过2度）。"},
            status=400,
        )
    wide = max(box[2] - box[0], box[3] - box[1]) > BUILDINGS_UP_TO
    rows = list(
        basemap.within(MapFeature.objects.visible_to(request.user), box, buildings=not wide)
    )
    body = json.dumps(
        {
            "features": [[k, r, n, c, p] for k, r, n, c, p, _ in rows],
            "attribution": basemap.attribution(s for *_, s in rows),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    return HttpResponse(
        body,
        content_type="application/json",
        headers={"ETag": etag, "Cache-Control": "private, max-age=3600"},
    )

"""Plane geometry on small areas: centroids, point-in-polygon, convex hulls, distances."""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]  # (lat, lon)


def centroid(ring: Sequence[Point]) -> Point:
    """Area centroid of a closed ring; the vertex mean when the area is degenerate."""
    pts = list(ring[:-1]) if len(ring) > 1 and ring[0] == ring[-1] else list(ring)
    if len(pts) < 3:
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
    lat0, lon0 = pts[0]
    area = cx = cy = 0.0
    for (a_lat, a_lon), (b_lat, b_lon) in zip(pts, pts[1:] + pts[:1], strict=True):
        x1, y1, x2, y2 = a_lon - lon0, a_lat - lat0, b_lon - lon0, b_lat - lat0
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-14:
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
    return (lat0 + cy / (3 * area), lon0 + cx / (3 * area))


def contains(ring: Sequence[Point], point: Point) -> bool:
    """Ray casting: is `point` inside the polygon `ring`?"""
    lat, lon = point
    inside = False
    n = len(ring)
    for i in range(n):
        a_lat, a_lon = ring[i]
        b_lat, b_lon = ring[(i + 1) % n]
        if (a_lat > lat) != (b_lat > lat):
            cross_lon = a_lon + (lat - a_lat) * (b_lon - a_lon) / (b_lat - a_lat)
            if lon < cross_lon:
                inside = not inside
    return inside


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Monotone-chain convex hull, returned as a closed ring."""
    pts = sorted(set(points), key=lambda p: (p[1], p[0]))
    if len(pts) < 3:
        return [*pts, pts[0]] if pts else []

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return [*hull, hull[0]]


def metres(a: Point, b: Point) -> float:
    """Approximate distance in metres (equirectangular; fine within a city)."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(mean_lat)
    return math.hypot(dx, dy)


def rounded(ring: Sequence[Point], digits: int = 6) -> list[list[float]]:
    """A ring as JSON-ready [lat, lon] pairs."""
    return [[round(lat, digits), round(lon, digits)] for lat, lon in ring]

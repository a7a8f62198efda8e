"""Errors the service circle raises; each message is for the user (Chinese).

The circle's names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class CircleError(core.DomainError):
    """The circle cannot be computed or imported as asked (400)."""


class NoRoads(CircleError):
    """The OSM file holds no walkable road."""


class BadOsmFile(CircleError):
    """The file cannot be read as OpenStreetMap data."""

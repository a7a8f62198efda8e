"""Errors the service circle raises; each message is for the user (Chinese)."""

from __future__ import annotations


class CircleError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NoRoads(CircleError):
    """The OSM file holds no walkable road."""


class BadOsmFile(CircleError):
    """The file cannot be read as OpenStreetMap data."""

"""JSON API for the governance map (filled in by the API work)."""

from ninja import Router

router = Router()

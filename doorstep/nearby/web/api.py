"""The places-and-time API: service sites and rooms, room bookings, activities.

The endpoints live in `api_sites.py` and `api_activities.py`, tagged "nearby" (the atlas
already tags buildings and households "places"; one tag per router keeps each scope matrix
walk exact). This router mounts both; `config/api.py` mounts it, and the one domain-error
handler of `core.api_errors` answers the sites' and activities' errors.
"""

from ninja import Router

from .api_activities import router as activities_router
from .api_sites import router as sites_router

router = Router()
router.add_router("/", sites_router)
router.add_router("/", activities_router)

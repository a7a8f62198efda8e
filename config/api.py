"""The JSON API router (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs."""

from typing import Any

from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.renderers import JSONRenderer

from doorstep.accounts.tokens import SessionAuth, TokenAuth
from doorstep.atlas.web.api import router as atlas_router
from doorstep.cases.web.api import router as cases_router
from doorstep.cockpit.api import router as cockpit_router
from doorstep.cogov.web.api import router as cogov_router
from doorstep.cogov.web.api_alliances import router as alliances_router
from doorstep.cogov.web.api_pairings import router as pairings_router
from doorstep.cogov.web.api_proposals import router as proposals_router
from doorstep.core.api_errors import declare_error_responses, install_error_handlers
from doorstep.deliberation.web.api import router as deliberation_router
from doorstep.deliberation.web.api_campaigns import router as campaigns_router
from doorstep.deliberation.web.api_meetings import router as meetings_router
from doorstep.deliberation.web.api_receptions import router as receptions_router
from doorstep.deliberation.web.api_surveys import router as surveys_router
from doorstep.deliberation.web.api_topics import router as topics_router
from doorstep.nearby.web.api import router as places_router


class ChineseJSONRenderer(JSONRenderer):
    """Chinese text as itself, not as \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


class DoorstepAPI(NinjaAPI):
    """The document declares every error answer an operation can give (api_errors)."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        document = super().get_openapi_schema(**kwargs)
        declare_error_responses(document)
        return document


api = DoorstepAPI(
    renderer=ChineseJSONRenderer(),
    title="家门口 Doorstep API",
    version="1",
    description="党建引领基层治理平台接口。所有接口按调用者的数据权限过滤；令牌或会话认证。",
    urls_namespace="api",
    # Every endpoint needs a caller: a bearer token first, else the browser session (which
    # must pass Django's CSRF check on unsafe methods).
    auth=[TokenAuth(), SessionAuth()],
    # Swagger UI's default online-validator badge would send the document's address to an
    # outside host; the docs must work on an intranet with no outside calls at all.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)
api.add_router("/", atlas_router)
api.add_router("/", cases_router)
api.add_router("/", places_router)
api.add_router("/", cockpit_router)
api.add_router("/", cogov_router)
api.add_router("/", deliberation_router)
api.add_router("/", topics_router)
api.add_router("/", meetings_router)
api.add_router("/", receptions_router)
api.add_router("/", surveys_router)
api.add_router("/", campaigns_router)
api.add_router("/", alliances_router)
api.add_router("/", pairings_router)
api.add_router("/", proposals_router)

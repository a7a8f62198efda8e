"""The JSON API router (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from doorstep.atlas.api import router as atlas_router
from doorstep.core.api_errors import install_error_handlers

api = NinjaAPI(
    title="家门口 Doorstep API",
    version="1",
    description="党建引领基层治理平台接口。所有接口按调用者的数据权限过滤；令牌或会话认证。",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", atlas_router)

from django.contrib import admin
from django.urls import include, path, re_path

from config.api import api
from doorstep.core import views as core_views
from doorstep.workbench.web import views as workbench

admin.site.site_header = "家门口 · 管理后台"
admin.site.site_title = "家门口"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("", workbench.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", core_views.api_not_found),
    path("accounts/", include("doorstep.accounts.urls")),
    path("open311/v2/", include("doorstep.cases.open311.urls")),
    path("", include("doorstep.cases.web.urls")),
    path("", include("doorstep.nearby.web.urls")),
    path("", include("doorstep.service.web.urls")),
    path("", include("doorstep.cogov.web.urls")),
    path("", include("doorstep.deliberation.web.urls")),
    path("", include("doorstep.cockpit.urls")),
    path("", include("doorstep.atlas.web.urls")),
]

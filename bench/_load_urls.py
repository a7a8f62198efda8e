"""The site's URLs plus the floor: `/bench/floor/`, a minimal view that only needs a
logged-in user. Its throughput is what the same server and middleware give before a page
does any work of its own (the mixed load is measured against it)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/floor/", floor), path("", include("config.urls"))]

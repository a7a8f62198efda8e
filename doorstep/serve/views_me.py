"""The me page (我的服务): being built; see the next commits."""

from django.http import Http404, HttpRequest, HttpResponse


def me(request: HttpRequest) -> HttpResponse:
    raise Http404("建设中")

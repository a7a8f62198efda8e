"""The site's URLs plus one page that skips the access door (for test_canaries only)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from doorstep.atlas.people.models import Resident


@login_required
def leaky(request, pk):
    resident = Resident.objects.filter(pk=pk).first()  # no visible_to: the mistake
    return HttpResponse(resident.name if resident else "")


urlpatterns = [path("leaky/<int:pk>/", leaky), path("", include("config.urls"))]

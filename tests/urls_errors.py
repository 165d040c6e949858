"""The project's URLs plus views that fail on purpose (500 tests, the Sentry test): ROOT_URLCONF in those tests only."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts_crm.urls import handler500
from accounts_crm.urls import urlpatterns as project_urlpatterns

__all__ = ["handler500", "urlpatterns"]


class ProbeError(RuntimeError):
    pass


def boom(request):
    raise ProbeError(request.GET.get("message", "boom"))


@api_view(["GET"])
@permission_classes([AllowAny])
def api_boom(request):
    raise ProbeError("api boom")


class AlwaysThrottled(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 42


@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([AlwaysThrottled])
def api_throttled(request):
    return Response({"never": "here"})


urlpatterns = [
    path("boom/", boom),
    path("api/v1/test-boom/", api_boom),
    path("api/v1/test-throttled/", api_throttled),
    *project_urlpatterns,
]

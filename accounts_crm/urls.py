from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts_crm.views import healthz
from notifications import views as notification_views
from users import views as user_views

# A database that is down answers 503 (JSON under /api/, a plain page elsewhere), other errors as before.
handler500 = "core.error_views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/api-token/", user_views.api_token, name="api_token"),
    path("accounts/notifications/", notification_views.preferences, name="notification_settings"),
    path("accounts/preferences/", user_views.preferences_view, name="preferences"),
    # Lets a visitor who is not signed in (the login page) switch language; stored in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts_crm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI injects <style> elements at run time: inline styles (not scripts) on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("", include("notifications.urls")),
    path("", include("clients.urls")),
    path("", include("contracts.urls")),
    path("", include("interactions.urls")),
    path("", include("capture.urls")),
    path("", include("health.urls")),
    path("", include("flags.urls")),
    path("", include("playbooks.urls")),
    path("", include("reviews.urls")),
    path("", include("sharing.urls")),
    path("", include("surveys.urls")),
    path("", include("dashboards.urls")),
]

from django.urls import path
from rest_framework.routers import DefaultRouter

from capture import api as capture_api
from clients import api as clients_api
from contracts import api as contracts_api
from health import api as health_api
from interactions import api as interactions_api
from kpis import api as kpis_api
from notifications import api as notifications_api
from playbooks import api as playbooks_api
from reviews import api as reviews_api
from surveys import api as surveys_api
from users import api as users_api

# No ".json" URL suffixes: the API speaks JSON only, and custom actions do not take a `format` argument.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("clients", clients_api.ClientViewSet, basename="client")
router.register("contacts", clients_api.ContactViewSet, basename="contact")
router.register("saved-views", clients_api.SavedClientViewViewSet, basename="savedclientview")
router.register("handoffs", clients_api.HandoffViewSet, basename="handoff")
router.register("contracts", contracts_api.ContractViewSet, basename="contract")
router.register("renewals", contracts_api.RenewalViewSet, basename="renewal")
router.register("exchange-rates", contracts_api.ExchangeRateViewSet, basename="exchangerate")
router.register("invoices", contracts_api.InvoiceViewSet, basename="invoice")
router.register("documents", contracts_api.DocumentViewSet, basename="document")
router.register("interactions", interactions_api.InteractionViewSet, basename="interaction")
router.register("follow-ups", interactions_api.FollowUpViewSet, basename="followup")

router.register("kpis/metrics", kpis_api.MetricViewSet, basename="metric")
router.register("health/scores", health_api.HealthScoreViewSet, basename="healthscore")
router.register("health/models", health_api.HealthModelViewSet, basename="healthmodel")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
router.register("webhooks", notifications_api.WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", notifications_api.WebhookDeliveryViewSet, basename="webhookdelivery")
reviews_api.register(router)
playbooks_api.register(router)
surveys_api.register(router)

urlpatterns = [
    path("kpis/values/", kpis_api.KpiValuesView.as_view(), name="kpi-values"),
    path("capture/inbound/", capture_api.InboundMailView.as_view(), name="capture-inbound"),
    path("me/preferences/", users_api.MyPreferencesView.as_view(), name="my-preferences"),
    path(
        "me/notification-preferences/",
        notifications_api.MyNotificationPreferencesView.as_view(),
        name="my-notification-preferences",
    ),
    *router.urls,
]

from rest_framework.routers import DefaultRouter

from clients import api as clients_api
from interactions import api as interactions_api

router = DefaultRouter()
router.register("clients", clients_api.ClientViewSet, basename="client")
router.register("contacts", clients_api.ContactViewSet, basename="contact")
router.register("handoffs", clients_api.HandoffViewSet, basename="handoff")
router.register("interactions", interactions_api.InteractionViewSet, basename="interaction")
router.register("follow-ups", interactions_api.FollowUpViewSet, basename="followup")

urlpatterns = router.urls

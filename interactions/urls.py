from django.urls import path

from interactions import views

app_name = "interactions"

urlpatterns = [
    path("clients/<int:client_pk>/interactions/new/", views.interaction_log, name="log"),
    path("interactions/<int:pk>/", views.interaction_edit, name="edit"),
    path("interactions/<int:pk>/delete/", views.interaction_delete, name="delete"),
    path("clients/<int:client_pk>/follow-ups/new/", views.followup_create, name="followup_create"),
    path("follow-ups/bulk/", views.followups_bulk_create, name="followups_bulk_create"),
    path("follow-ups/", views.my_followups, name="my_followups"),
    path("follow-ups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("follow-ups/<int:pk>/done/", views.followup_done, name="followup_done"),
    path("follow-ups/<int:pk>/reschedule/", views.followup_reschedule, name="followup_reschedule"),
    path("follow-ups/<int:pk>/cancel/", views.followup_cancel, name="followup_cancel"),
]

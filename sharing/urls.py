from django.urls import path

from sharing import views

app_name = "sharing"

urlpatterns = [
    path("clients/<int:client_pk>/sharing/", views.manage, name="manage"),
    path("shared-links/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("s/<str:token>/", views.page, name="page"),
]

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("clients/<int:pk>/", views.account, name="account"),
    path("clients/<int:pk>/timeline/", views.account_timeline, name="timeline"),
]

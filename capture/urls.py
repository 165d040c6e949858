from django.urls import path

from capture import views

app_name = "capture"

urlpatterns = [
    path("to-file/", views.to_file, name="to_file"),
    path("captured/<int:pk>/", views.message_detail, name="message"),
    path("captured/<int:pk>/file/", views.message_file, name="file"),
    path("captured/<int:pk>/private/", views.thread_private, name="thread_private"),
    path("clients/<int:client_pk>/upload-email/", views.upload, name="upload"),
]

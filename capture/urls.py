from django.urls import path

from capture import views

app_name = "capture"

urlpatterns = [
    path("to-file/", views.to_file, name="to_file"),
    path("captured/<int:pk>/", views.message_detail, name="message"),
    path("captured/<int:pk>/file/", views.message_file, name="file"),
    path("captured/<int:pk>/private/", views.thread_private, name="thread_private"),
    path("clients/<int:client_pk>/upload-email/", views.upload, name="upload"),
    path("clients/<int:client_pk>/stakeholders.vcf", views.client_vcards, name="client_vcards"),
    path("contacts/<int:pk>/vcard.vcf", views.contact_vcard, name="contact_vcard"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("my-mailbox/", views.personal_mailbox, name="personal_mailbox"),
    path("my-mailbox/oauth/start/", views.personal_mailbox_oauth_start, name="personal_mailbox_oauth_start"),
    path("my-mailbox/oauth/callback/", views.personal_mailbox_oauth_callback, name="personal_mailbox_oauth_callback"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

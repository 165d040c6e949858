from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, {"scope": "mine"}, name="mine"),
    path("clients/team/", views.client_list, {"scope": "team"}, name="team"),
    path("clients/views/", views.saved_view_save, name="saved_view_save"),
    path("clients/views/<int:pk>/", views.saved_view_open, name="saved_view_open"),
    path("clients/views/<int:pk>/pin/", views.saved_view_pin, name="saved_view_pin"),
    path("clients/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("clients/bulk/reassign/", views.clients_bulk_reassign, name="bulk_reassign"),
    path("clients/new/", views.client_create, name="create"),
    path("clients/<int:pk>/", views.client_detail, name="detail"),
    path("clients/<int:pk>/timeline/", views.client_timeline, name="timeline"),
    path("clients/<int:pk>/edit/", views.client_edit, name="edit"),
    path("clients/<int:pk>/archive/", views.client_archive, name="archive"),
    path("clients/<int:pk>/status/", views.client_status_change, name="status_change"),
    path("clients/<int:pk>/restore/", views.client_restore, name="restore"),
    path("clients/<int:pk>/history/", views.client_history, name="history"),
    path("clients/<int:client_pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("clients/<int:client_pk>/handoff/", views.handoff_create, name="handoff_create"),
    path("handoffs/", views.handoff_list, name="handoffs"),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff_detail"),
    path("handoffs/<int:pk>/edit/", views.handoff_edit, name="handoff_edit"),
    path("handoffs/<int:pk>/accept/", views.handoff_accept, name="handoff_accept"),
    path("handoffs/<int:pk>/return/", views.handoff_return, name="handoff_return"),
    path("handoffs/<int:pk>/resend/", views.handoff_resend, name="handoff_resend"),
    path("imports/sales/", views.sales_import, name="sales_import"),
]

from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.contract_list, name="list"),
    path("contracts/import/", views.contract_import, name="import"),
    path("contracts/<int:pk>/", views.contract_detail, name="detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="edit"),
    path("clients/<int:client_pk>/contracts/new/", views.contract_create, name="create"),
    path("renewals/", views.renewal_list, name="renewals"),
    path("renewals/<int:pk>/", views.renewal_edit, name="renewal_edit"),
    path("exchange-rates/", views.exchange_rates, name="rates"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_edit, name="invoice_edit"),
    path("clients/<int:client_pk>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("documents/", views.document_list, name="documents"),
    path("documents/<int:pk>/", views.document_edit, name="document_edit"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("documents/<int:pk>/sign/", views.document_sign, name="document_sign"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
    path("clients/<int:client_pk>/documents/new/", views.document_upload, name="document_upload"),
]

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
]

from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.overview, name="overview"),
    path("clients/<int:client_pk>/reviews/new/", views.review_plan, name="plan"),
    path("reviews/<int:pk>/", views.review_detail, name="detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="edit"),
    path("reviews/<int:pk>/prepare/", views.review_prepare, name="prepare"),
    path("reviews/<int:pk>/hold/", views.review_hold, name="hold"),
    path("reviews/<int:pk>/close/", views.review_close, name="close"),
    path("reviews/<int:pk>/action-items/new/", views.action_item_add, name="action_item_add"),
    path("reviews/<int:pk>/action-items/<int:item_pk>/assign/", views.action_item_assign, name="action_item_assign"),
    path("reviews/<int:pk>/print/", views.review_print, name="print"),
    path("reviews/<int:pk>/export.csv", views.review_export_csv, name="export_csv"),
    path("reviews/<int:pk>/export.json", views.review_export_json, name="export_json"),
    path("clients/<int:client_pk>/plan/", views.account_plan, name="account_plan"),
    path("clients/<int:client_pk>/plan/edit/", views.account_plan_edit, name="account_plan_edit"),
    path("clients/<int:client_pk>/plan/revisit/", views.account_plan_revisit, name="account_plan_revisit"),
    path("clients/<int:client_pk>/plan/history/", views.account_plan_history, name="account_plan_history"),
]

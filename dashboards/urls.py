from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("my-day/", views.my_day, name="my_day"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("reports/activity/", views.activity_report, name="activity_report"),
    path("search/", views.search, name="search"),
    path("renewals/board/", views.renewals_board, name="renewals_board"),
    path("renewals/board/<int:pk>/move/", views.renewals_board_move, name="renewals_board_move"),
    path("clients/export.csv", views.client_export, name="client_export"),
    path("clients/export-selected.csv", views.client_export_selected, name="client_export_selected"),
    path("clients/audience/", views.client_audience, name="client_audience"),
    path("clients/audience.csv", views.client_audience_export, name="client_audience_export"),
]

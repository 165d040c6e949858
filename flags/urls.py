from django.urls import path

from flags import views

app_name = "flags"

urlpatterns = [
    path("flags/", views.flag_list, name="list"),
    path("flags/<int:pk>/", views.flag_detail, name="detail"),
    path("flags/<int:pk>/snooze/", views.flag_snooze, name="snooze"),
    path("flags/<int:pk>/dismiss/", views.flag_dismiss, name="dismiss"),
    path("flags/<int:pk>/reassign/", views.flag_reassign, name="reassign"),
    path("clients/<int:client_pk>/flag/", views.flag_raise, name="raise"),
    path("clients/<int:client_pk>/flags-panel/", views.client_flags_panel, name="client_panel"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/backtest/", views.rule_backtest, name="rule_backtest"),
    path("backtests/<int:pk>/", views.backtest_job_status, name="backtest_job"),
    path("evaluations/", views.evaluation_list, name="evaluations"),
]

from django.urls import path

from health import flag_views, views

app_name = "health"

urlpatterns = [
    path("health/model/", views.health_model_edit, name="model"),
    path("flags/", flag_views.flag_list, name="flags"),
    path("flags/<int:pk>/", flag_views.flag_detail, name="flag"),
    path("flags/<int:pk>/snooze/", flag_views.flag_snooze, name="flag_snooze"),
    path("flags/<int:pk>/dismiss/", flag_views.flag_dismiss, name="flag_dismiss"),
    path("flags/<int:pk>/reassign/", flag_views.flag_reassign, name="flag_reassign"),
    path("clients/<int:client_pk>/flag/", flag_views.flag_raise, name="flag_raise"),
    path("rules/", flag_views.rule_list, name="rules"),
    path("rules/new/", flag_views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", flag_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/backtest/", flag_views.rule_backtest, name="rule_backtest"),
    path("evaluations/", flag_views.evaluation_list, name="evaluations"),
    path("notifications/", flag_views.notification_list, name="notifications"),
]

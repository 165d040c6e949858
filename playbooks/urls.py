from django.urls import path

from playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("playbooks/", views.playbook_list, name="list"),
    path("playbooks/new/", views.playbook_edit, name="create"),
    path("playbooks/<int:pk>/", views.playbook_detail, name="detail"),
    path("playbooks/<int:pk>/edit/", views.playbook_edit, name="edit"),
    path("playbooks/runs/", views.run_list, name="runs"),
    path("playbooks/runs/<int:pk>/", views.run_detail, name="run"),
    path("playbooks/runs/<int:pk>/stop/", views.run_cancel, name="run_cancel"),
    path("playbooks/runs/<int:run_pk>/steps/<int:step_pk>/done/", views.run_step_complete, name="step_complete"),
    path("playbooks/runs/<int:run_pk>/steps/<int:step_pk>/skip/", views.run_step_skip, name="step_skip"),
    path("playbooks/runs/<int:run_pk>/steps/<int:step_pk>/send/", views.run_step_send, name="step_send"),
    path("clients/<int:client_pk>/playbooks/start/", views.run_start, name="start"),
]

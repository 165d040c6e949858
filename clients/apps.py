from django.apps import AppConfig


class ClientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clients"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from clients.list_columns import register_columns
        from clients.timeline_providers import register_providers
        from core.search import register_sqlite_functions

        register_providers()
        register_columns()
        # Search folds accents with crm_fold(): a PostgreSQL function (migration 0007), a Python one on SQLite.
        connection_created.connect(register_sqlite_functions, dispatch_uid="crm_fold")

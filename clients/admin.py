from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clients.models import Client, Contact, Handoff


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("first_name", "last_name", "role", "email", "is_active")
    extra = 0


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = ("name", "external_id", "status", "segment", "owner", "team", "arr", "renewal_date", "archived_at")
    list_filter = ("status", "segment", "is_key_account", "team")
    search_fields = ("name", "external_id")
    raw_id_fields = ("owner", "sales_owner")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "client", "role", "email", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("first_name", "last_name", "email", "client__name")
    raw_id_fields = ("client", "reports_to")


@admin.register(Handoff)
class HandoffAdmin(SimpleHistoryAdmin):
    list_display = ("deal_name", "client", "status", "deal_amount", "close_date", "to_am", "to_team", "created_by")
    list_filter = ("status", "to_team")
    search_fields = ("deal_name", "deal_external_id", "client__name")
    raw_id_fields = ("client", "to_am", "created_by", "decided_by")
    filter_horizontal = ("stakeholders",)

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from interactions.models import DueDateChange, FollowUp, Interaction


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ("client", "kind", "occurred_at", "author", "sentiment", "is_private", "deleted_at")
    list_filter = ("kind", "sentiment", "is_private")
    search_fields = ("client__name", "summary")
    raw_id_fields = ("client", "author", "contacts")


class DueDateChangeInline(admin.TabularInline):
    model = DueDateChange
    extra = 0
    readonly_fields = ("old_due_date", "new_due_date", "old_promised_date", "new_promised_date", "reason", "changed_by")


@admin.register(FollowUp)
class FollowUpAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client", "owner", "due_date", "promised_date", "is_commitment", "status", "origin")
    list_filter = ("status", "is_commitment", "origin")
    search_fields = ("title", "client__name")
    raw_id_fields = ("client", "owner", "interaction", "handoff", "created_by")
    inlines = [DueDateChangeInline]

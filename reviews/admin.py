"""Admin: read-mostly views for support. State changes belong to the services (review pages, API)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reviews.models import AccountPlan, AccountReview, ReviewActionItem


class ReviewActionItemInline(admin.TabularInline):
    model = ReviewActionItem
    extra = 0
    fields = ("position", "title", "owner", "due_date", "is_commitment", "promised_date", "followup")
    readonly_fields = fields
    can_delete = False


@admin.register(AccountReview)
class AccountReviewAdmin(SimpleHistoryAdmin):
    list_display = ("client", "year", "quarter", "status", "planned_on", "held_on", "satisfaction")
    list_filter = ("status", "year", "quarter")
    search_fields = ("client__name", "client__external_id")
    raw_id_fields = ("client", "contacts", "colleagues", "prepared_by", "closed_by", "created_by")
    readonly_fields = ("status", "snapshot", "prepared_at", "plan_history_id", "closed_at", "version")
    inlines = [ReviewActionItemInline]


@admin.register(AccountPlan)
class AccountPlanAdmin(SimpleHistoryAdmin):
    list_display = ("client", "revenue_target", "currency", "last_revisited_on", "version")
    search_fields = ("client__name", "client__external_id")
    raw_id_fields = ("client",)
    readonly_fields = ("version",)

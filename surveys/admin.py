"""Admin: for looking things up. Surveys are sent and answered through the pages and the API (their services)."""

from django.contrib import admin

from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveySchedule


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvitationInline(admin.TabularInline):
    model = SurveyInvitation
    fields = ["contact", "email", "sent_at", "reminders_sent", "reminded_at", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Survey)
class SurveyAdmin(_ReadOnly):
    list_display = ["client", "kind", "sent_at", "closes_at", "closed_at", "schedule"]
    list_filter = ["kind"]
    search_fields = ["client__name"]
    list_select_related = ["client", "schedule"]
    inlines = [InvitationInline]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(_ReadOnly):
    list_display = ["client", "contact", "kind", "score", "answered_at"]
    list_filter = ["kind", "score"]
    search_fields = ["client__name", "contact__last_name", "comment"]
    list_select_related = ["client", "contact"]


@admin.register(SurveySchedule)
class SurveyScheduleAdmin(_ReadOnly):
    list_display = ["client", "kind", "every_months", "next_on", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["client__name"]
    list_select_related = ["client"]

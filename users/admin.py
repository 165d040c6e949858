from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from users.models import Team, User


class MemberInline(admin.TabularInline):
    model = User
    fields = ("username", "first_name", "last_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    inlines = [MemberInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "sales_crm_id")
    fieldsets = (*BaseUserAdmin.fieldsets, ("CRM", {"fields": ("role", "team", "sales_crm_id")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("CRM", {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )

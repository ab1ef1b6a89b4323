from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Boutique, User


@admin.register(Boutique)
class BoutiqueAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "city"]
    search_fields = ["name", "code", "city"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "mobile",
        "boutique",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_staff", "is_active", "groups", "boutique"]
    list_select_related = ["boutique"]
    search_fields = ["email", "first_name", "last_name", "mobile"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "mobile", "language"]}),
        (_("Staff"), {"fields": ["is_active", "is_staff", "boutique", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["groups"]

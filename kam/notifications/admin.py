from django.contrib import admin

from kam.core.admin import ReadOnlyAdmin
from kam.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "code", "read_at", "emailed_at")
    list_filter = ("code",)
    search_fields = ("recipient__username", "code")
    list_select_related = ("recipient",)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubConfig(AppConfig):
    name = "kam.club"
    label = "club"
    verbose_name = _("Customer club")

    def ready(self) -> None:
        from kam.club import tasks  # noqa: F401  (defined at start-up, like the other tasks)

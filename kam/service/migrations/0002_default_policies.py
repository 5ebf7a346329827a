"""The seeds' service policies per tier and the default business calendar."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "diamond": (60, 480, "dedicated_team", 30, "Fully customised solutions and service", "15"),
    "core": (240, 1440, "dedicated_manager", 90, "High-quality standard service, partly customised", "10"),
    "potential": (1440, 4320, "shared_manager", 180, "Quality standard service", "5"),
    "basic": (2880, 7200, "service_centre", None, "Basic standard service", "0"),
}


def write_defaults(apps, schema_editor):
    policy = apps.get_model("service", "ServicePolicy")
    for tier, (response, resolution, model, visits, custom, ceiling) in DEFAULTS.items():
        policy.objects.get_or_create(
            tier=tier,
            defaults={
                "first_response_minutes": response,
                "resolution_minutes": resolution,
                "service_model": model,
                "visit_interval_days": visits,
                "customisation": custom,
                "discount_ceiling": Decimal(ceiling),
            },
        )
    apps.get_model("service", "BusinessCalendar").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(write_defaults, migrations.RunPython.noop)]

"""Table logic of the value engine: ``ibis.Table -> ibis.Table``, no connection inside."""

from kam_analytics.transforms.summary import (
    HOLDOUT_COLUMNS,
    SUMMARY_COLUMNS,
    UNIT_DAYS,
    TimeUnit,
    calibration_holdout_split,
    customer_summary,
    purchase_days,
    unit_days,
)

__all__ = [
    "HOLDOUT_COLUMNS",
    "SUMMARY_COLUMNS",
    "UNIT_DAYS",
    "TimeUnit",
    "calibration_holdout_split",
    "customer_summary",
    "purchase_days",
    "unit_days",
]

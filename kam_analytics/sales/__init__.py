"""Sales planning (SALES-3): the 6-5-3-3-2-1 activity planner, see
``docs/methods/planner.md``. Pure Python; the sales application and ``kam plan`` use it."""

from kam_analytics.sales.planner import (
    STAGE_CODES,
    STAGES,
    PlanComparison,
    PlanInputError,
    SalesPlan,
    compare_with_actuals,
    plan_sales,
)

__all__ = [
    "STAGES",
    "STAGE_CODES",
    "PlanComparison",
    "PlanInputError",
    "SalesPlan",
    "compare_with_actuals",
    "plan_sales",
]

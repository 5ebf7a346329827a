"""Tiers of accounts (VAL-6): diamond, core, potential and basic.

* **diamond** and **core**: the top ``shares.diamond`` (2%) and the next ``shares.core``
  (18%) of accounts by the ranking measure: CLV (default), the composite score or revenue.
* **potential**: growth candidates, not simply the accounts ranked 21-50%. The growth of
  an account outside diamond and core is the value it gains from one horizon-long period
  to the next, in money:

  - where its history covers two periods (see `kam_analytics.models.lifecycle`), the
    observed gain: spend rate of the last period minus that of the period before, times
    the horizon (year on year by default);
  - for a younger account, the predicted gain: the model's expected purchases times
    expected spend over the next horizon, minus its revenue of the last period.

  A growth candidate has a gain above 0 and P(alive) >= ``potential_min_p_alive`` (0.5).
  Candidates are ranked by the gain (who adds the most value) and fill up to
  ``shares.potential`` (30%) of the accounts. When there are fewer candidates the
  potential tier is smaller and a warning says so: a declining or lapsed account is
  never called potential just to fill a quota.
* **basic**: everyone else.

Counts per tier come from the shares by the largest-remainder method, so they add up to
the number of accounts exactly (2%/18%/30%/50% of 1,000 is 20/180/300/500). Ties in any
ranking are broken by customer id, so the tiers do not depend on row order.

Each account also gets ``tier_reason_code`` (machine-readable) and ``tier_reason`` (plain
English) saying why it is in its tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kam_analytics.config import TIERS, TierConfig
from kam_analytics.models.diagnostics import FloatArray
from kam_analytics.notes import Note

__all__ = [
    "MEASURE_COLUMNS",
    "REASON_CODES",
    "TierAssignment",
    "TierInputs",
    "assign_tiers",
    "format_money",
    "id_order",
    "money_texts",
    "tier_counts",
]

#: Ranking measure -> the customer column holding it.
MEASURE_COLUMNS = {"clv": "clv", "score": "score", "revenue": "total_revenue"}
_MEASURE_WORDS = {"clv": "CLV", "score": "score", "revenue": "revenue"}

#: Every reason code; "{measure}" is the ranking measure (clv, score or revenue).
REASON_CODES = (
    "diamond_by_{measure}",
    "core_by_{measure}",
    "potential_growth_observed",
    "potential_growth_predicted",
    "basic_below_potential_cutoff",
    "basic_low_p_alive",
    "basic_not_growing",
    "basic_no_predicted_growth",
)
_DIAMOND, _CORE, _POTENTIAL, _BASIC = range(4)  # positions in TIERS
(
    _R_DIAMOND,
    _R_CORE,
    _R_OBSERVED,
    _R_PREDICTED,
    _R_CUTOFF,
    _R_LOW_P_ALIVE,
    _R_NOT_GROWING,
    _R_NO_PREDICTED,
) = range(len(REASON_CODES))

IntArray = npt.NDArray[np.intp]
CodeArray = npt.NDArray[np.int8]
Text = np.dtypes.StringDType()


def tier_counts(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Accounts per tier: ``shares`` x n rounded by the largest-remainder method.

    Each tier gets the whole part of its quota; the accounts left over go one each to
    the tiers with the largest fractional parts (earlier tiers first on equal parts).
    """
    quotas = {tier: shares[tier] * n for tier in TIERS}
    counts = {tier: math.floor(quota + 1e-9) for tier, quota in quotas.items()}
    left = n - sum(counts.values())
    by_remainder = sorted(
        TIERS, key=lambda tier: (-(quotas[tier] - counts[tier]), TIERS.index(tier))
    )
    for tier in by_remainder[: max(left, 0)]:
        counts[tier] += 1
    return counts


@dataclass(frozen=True)
class TierInputs:
    """One entry per customer, all arrays of one length.

    ``id_order``: each customer's place in customer-id order (0 = smallest id), the
    tie-breaker; ``measure``: the ranking measure's values; ``growth_from`` and
    ``growth_to``: the value of the earlier and of the later horizon-long period (their
    difference is the gain); ``growth_observed``: True where both are observed revenue,
    False where ``growth_to`` is the model's prediction.
    """

    id_order: IntArray
    measure: FloatArray
    p_alive: FloatArray
    growth_from: FloatArray
    growth_to: FloatArray
    growth_observed: npt.NDArray[np.bool_]

    @property
    def gain(self) -> FloatArray:
        return np.asarray(self.growth_to - self.growth_from, dtype=np.float64)


@dataclass(frozen=True)
class TierAssignment:
    """Tiers as codes into `TIERS`, reasons as codes into ``reason_codes``, and texts."""

    tier_code: CodeArray
    reason_code_index: CodeArray
    reason_codes: tuple[str, ...]  # `REASON_CODES` with the measure filled in
    reason: npt.NDArray[np.object_]
    counts: dict[str, int]
    candidates: int  # growth candidates outside diamond and core
    warnings: list[str]

    @property
    def tier(self) -> npt.NDArray[np.str_]:
        return np.asarray(TIERS)[self.tier_code]

    @property
    def reason_code(self) -> npt.NDArray[np.str_]:
        return np.asarray(self.reason_codes)[self.reason_code_index]


def assign_tiers(
    inputs: TierInputs,
    config: TierConfig | None = None,
    *,
    horizon_words: str = "52 weeks",
) -> TierAssignment:
    """Tier, reason code and reason of every customer (see the module docstring).

    ``horizon_words`` names the horizon in the reasons ("52 weeks", "12 months").
    """
    cfg = config if config is not None else TierConfig()
    n = inputs.measure.shape[0]
    quota = tier_counts(n, cfg.shares.as_dict())
    by_measure = np.lexsort((inputs.id_order, -_rounded(inputs.measure)))
    tier = np.full(n, _BASIC, dtype=np.int8)
    top = quota["diamond"] + quota["core"]
    tier[by_measure[: quota["diamond"]]] = _DIAMOND
    tier[by_measure[quota["diamond"] : top]] = _CORE

    gain = _rounded(inputs.gain)
    alive = inputs.p_alive >= cfg.potential_min_p_alive
    candidate = (tier == _BASIC) & alive & (gain > 0)
    ranked = np.flatnonzero(candidate)
    ranked = ranked[np.lexsort((inputs.id_order[ranked], -gain[ranked]))]
    tier[ranked[: quota["potential"]]] = _POTENTIAL

    codes = _reason_codes(tier, candidate, alive, inputs.growth_observed)
    counts = {name: int(np.count_nonzero(tier == i)) for i, name in enumerate(TIERS)}
    notes: list[str] = []
    if ranked.size < quota["potential"]:
        notes.append(
            Note(
                "tiers_few_growth_candidates",
                f"Only {ranked.size} accounts outside diamond and core are growth candidates "
                f"(P(alive) >= {cfg.potential_min_p_alive:g} and value growing from one period "
                f"of {horizon_words} to the next): the potential tier "
                f"holds {counts['potential']} accounts instead of {quota['potential']}; the "
                "rest are basic.",
                candidates=ranked.size,
                min_p_alive=cfg.potential_min_p_alive,
                period=horizon_words,
                potential=counts["potential"],
                quota=quota["potential"],
            )
        )
    return TierAssignment(
        tier_code=tier,
        reason_code_index=codes,
        reason_codes=tuple(code.format(measure=cfg.measure) for code in REASON_CODES),
        reason=_reasons(codes, inputs, cfg, horizon_words),
        counts=counts,
        candidates=int(ranked.size),
        warnings=notes,
    )


def _rounded(values: FloatArray) -> FloatArray:
    # Money summed in another order on another engine must not split a tie.
    return np.asarray(np.round(values, 6), dtype=np.float64)


def _reason_codes(
    tier: CodeArray,
    candidate: npt.NDArray[np.bool_],
    alive: npt.NDArray[np.bool_],
    observed: npt.NDArray[np.bool_],
) -> CodeArray:
    """Positions in `REASON_CODES`: the tier's own reason, or why an account is basic."""
    codes = np.select(
        [
            tier == _DIAMOND,
            tier == _CORE,
            (tier == _POTENTIAL) & observed,
            tier == _POTENTIAL,
            candidate,
            ~alive,
            observed,
        ],
        [_R_DIAMOND, _R_CORE, _R_OBSERVED, _R_PREDICTED, _R_CUTOFF, _R_LOW_P_ALIVE, _R_NOT_GROWING],
        default=_R_NO_PREDICTED,
    )
    return np.asarray(codes, dtype=np.int8)


def _reasons(
    codes: CodeArray, inputs: TierInputs, cfg: TierConfig, horizon_words: str
) -> npt.NDArray[np.object_]:
    """Plain-English reasons, built column-wise (a million of them in a fraction of a
    second). Figures are shown for diamond, core and potential accounts; basic accounts
    share a few fixed sentences."""
    shares = cfg.shares
    word = _MEASURE_WORDS[cfg.measure]
    top = _percent(shares.diamond + shares.core)
    reasons = np.empty(codes.shape[0], dtype=object)
    fixed = {
        _R_CUTOFF: (
            "growth candidate, but below the potential tier's cut-off "
            f"(the top {_percent(shares.potential)} of accounts by value gained)"
        ),
        _R_LOW_P_ALIVE: f"P(alive) below {cfg.potential_min_p_alive:g}: probably no longer buying",
        _R_NOT_GROWING: (
            f"not in the top {top} by {word}; revenue of the last {horizon_words} not above "
            f"the {horizon_words} before"
        ),
        _R_NO_PREDICTED: (
            f"not in the top {top} by {word}; no more value predicted for the next "
            f"{horizon_words} than in the last"
        ),
    }
    for code, sentence in fixed.items():
        reasons[codes == code] = sentence
    for code, lead in (
        (_R_DIAMOND, f"top {_percent(shares.diamond)} by {word} ("),
        (_R_CORE, f"next {_percent(shares.core)} by {word} ("),
    ):
        rows = np.flatnonzero(codes == code)
        values = inputs.measure[rows]
        if cfg.measure == "score":
            shown = _fixed_decimals(values, 1)
        else:
            shown = money_texts(values, cfg.currency_symbol)
        reasons[rows] = _joined(lead, shown, ")")
    for code, what, against in (
        (_R_OBSERVED, "revenue", f"the previous {horizon_words}"),
        (_R_PREDICTED, "predicted value", f"the last {horizon_words}"),
    ):
        rows = np.flatnonzero(codes == code)
        reasons[rows] = _growth_reasons(inputs, rows, cfg.currency_symbol, what, against)
    return reasons


def _growth_reasons(
    inputs: TierInputs, rows: IntArray, symbol: str, what: str, against: str
) -> npt.NDArray[Any]:
    """ "growth candidate: revenue up 80% on the previous 52 weeks (¥1.8K against ¥1.0K),
    P(alive) 0.92" for each row."""
    before, after = inputs.growth_from[rows], inputs.growth_to[rows]
    grew = before > 0
    change = 100.0 * (np.divide(after, before, out=np.ones_like(after), where=grew) - 1.0)
    percent = np.where(change < 10, _fixed_decimals(change, 1), _fixed_decimals(change, 0)).astype(
        Text
    )
    rise = np.where(
        grew,
        _joined("up ", percent, f"% on {against}"),
        f"up from nothing in {against}",
    ).astype(Text)
    figures = _joined(money_texts(after, symbol), " against ", money_texts(before, symbol))
    return _joined(
        f"growth candidate: {what} ",
        rise,
        " (",
        figures,
        "), P(alive) ",
        _fixed_decimals(inputs.p_alive[rows], 2),
    )


def _joined(*parts: str | npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Element-wise concatenation of text arrays and constants (numpy's string ufuncs)."""
    text: Any = np.asarray(parts[0], dtype=Text)
    for part in parts[1:]:
        text = np.strings.add(text, np.asarray(part, dtype=Text))
    return np.asarray(text, dtype=Text)


def _fixed_decimals(values: npt.ArrayLike, decimals: int) -> npt.NDArray[Any]:
    """Numbers as text with ``decimals`` decimals, like f"{v:.{decimals}f}" (half to even)."""
    array = np.asarray(values, dtype=np.float64)
    scale = 10**decimals
    scaled = np.round(np.abs(array) * scale).astype(np.int64)
    text: Any = (scaled // scale).astype(Text)
    if decimals:
        fraction = np.strings.zfill((scaled % scale).astype(Text), decimals)
        text = np.strings.add(np.strings.add(text, "."), fraction)
    sign = np.where((array < 0) & (scaled > 0), "-", "").astype(Text)
    return np.asarray(np.strings.add(sign, text), dtype=Text)


def _percent(share: float) -> str:
    return f"{100.0 * share:.3g}%"


def money_texts(values: npt.ArrayLike, symbol: str = "") -> npt.NDArray[Any]:
    """Compact money: ¥950, ¥12.3K, ¥1.2M, ¥3.4B (negative with a leading minus sign)."""
    array = np.asarray(values, dtype=np.float64)
    amount = np.abs(array)
    divisor = np.select([amount >= 1e9, amount >= 1e6, amount >= 1e3], [1e9, 1e6, 1e3], 1.0)
    suffix = np.select([amount >= 1e9, amount >= 1e6, amount >= 1e3], ["B", "M", "K"], "")
    number = np.where(
        divisor > 1, _fixed_decimals(amount / divisor, 1), _fixed_decimals(amount, 0)
    ).astype(Text)
    sign = np.where(array < 0, "-", "").astype(Text)
    text = np.strings.add(np.strings.add(sign, symbol), number)
    return np.asarray(np.strings.add(text, suffix.astype(Text)), dtype=Text)


def format_money(value: float, symbol: str = "") -> str:
    """One amount as `money_texts` writes it."""
    return str(money_texts([value], symbol)[0])


def id_order(customer_ids: npt.ArrayLike | pd.Index) -> IntArray:
    """Each id's place in sorted order; free (0..n-1) when the ids are already sorted."""
    ids = customer_ids if isinstance(customer_ids, pd.Index) else pd.Index(customer_ids)
    if ids.is_monotonic_increasing:
        return np.arange(len(ids), dtype=np.intp)
    order = np.argsort(ids.to_numpy(), kind="stable")
    places = np.empty(len(ids), dtype=np.intp)
    places[order] = np.arange(len(ids), dtype=np.intp)
    return places

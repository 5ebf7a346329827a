"""Settings of the value engine: score weights, tier shares, trend and lifecycle thresholds.

Every setting has a default (see docs/methods/tiers-and-scores.md for why), so
``ValueConfig()`` is a complete configuration. A YAML or JSON file overrides any part:

.. code-block:: yaml

    weights:            # composite score (VAL-4); renormalised over the criteria present
      volume: 0.2
      clv: 0.3
    tiers:              # VAL-6
      measure: clv      # clv, score or revenue
      shares: {diamond: 0.02, core: 0.18, potential: 0.30, basic: 0.50}
    lifecycle:          # VAL-7
      new_within_days: 182.625

Values are checked when a section is built, in code or from a file; a bad value raises
`ConfigError` naming the key, what was expected and what was found.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

__all__ = [
    "CRITERIA",
    "RATING_CRITERIA",
    "TIERS",
    "TIER_MEASURES",
    "ConfigError",
    "LifecycleConfig",
    "ScoreWeights",
    "TierConfig",
    "TierShares",
    "TrendConfig",
    "ValueConfig",
    "config_from_mapping",
    "load_config",
]

#: The criteria of the composite score, in the order of the breakdown columns.
CRITERIA = (
    "volume",
    "frequency",
    "payment",
    "clv",
    "growth",
    "cooperation",
    "brand_influence",
    "industry_position",
    "market_share",
)
#: Criteria an account manager rates 1-5 on the account (not computed from data).
RATING_CRITERIA = ("cooperation", "brand_influence", "industry_position", "market_share")
TIERS = ("diamond", "core", "potential", "basic")
TIER_MEASURES = ("clv", "score", "revenue")
TierMeasure = Literal["clv", "score", "revenue"]

# Shares may be written with a few decimals (0.333): they must sum to 1 within this.
_SHARE_SUM_TOLERANCE = 1e-6


class ConfigError(ValueError):
    """A setting is missing its expected type or range; the message names the key."""


# --------------------------------------------------------------------------- checks


def _is_number(value: object) -> bool:
    # bool is an int subclass, but `true` for a weight is a mistake, not 1.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_number(
    key: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float within [low, high] (open ends as asked); ConfigError otherwise."""
    expected = _range_words(low, high, low_open=low_open, high_open=high_open)
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ConfigError(f"{key} must be {expected}; got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ConfigError(f"{key} must be {expected}; got {value!r}")
    return number


def _range_words(low: float | None, high: float | None, *, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return "a number " + " and ".join(parts) if parts else "a number"


def _check_choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}; got {value!r}")
    return value


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the composite score's criteria (VAL-4), each >= 0, not all 0.

    Only their ratios matter: the weights of the criteria present in a book are
    renormalised to sum to 1 (see `kam_analytics.models.scoring`).
    """

    SECTION: ClassVar[str] = "weights"

    volume: float = 0.20
    frequency: float = 0.10
    payment: float = 0.10
    clv: float = 0.25
    growth: float = 0.15
    cooperation: float = 0.05
    brand_influence: float = 0.05
    industry_position: float = 0.05
    market_share: float = 0.05

    def __post_init__(self) -> None:
        for name in CRITERIA:
            _check_number(f"{self.SECTION}.{name}", getattr(self, name), low=0.0)
        if sum(self.as_dict().values()) <= 0:
            raise ConfigError(f"{self.SECTION}: at least one weight must be > 0")

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in CRITERIA}


@dataclass(frozen=True)
class TierShares:
    """Share of the accounts in each tier (VAL-6); each in [0, 1], together exactly 1."""

    SECTION: ClassVar[str] = "tiers.shares"

    diamond: float = 0.02
    core: float = 0.18
    potential: float = 0.30
    basic: float = 0.50

    def __post_init__(self) -> None:
        for name in TIERS:
            _check_number(f"{self.SECTION}.{name}", getattr(self, name), low=0.0, high=1.0)
        total = sum(self.as_dict().values())
        if abs(total - 1.0) > _SHARE_SUM_TOLERANCE:
            raise ConfigError(
                f"{self.SECTION} must sum to 1 (diamond + core + potential + basic); "
                f"they sum to {total:g}"
            )

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in TIERS}


@dataclass(frozen=True)
class TierConfig:
    """How accounts are tiered: the ranking measure, the shares and the growth test.

    ``measure`` ranks diamond and core ("clv", "score" or "revenue");
    ``potential_min_p_alive`` is the least P(alive) of a growth candidate;
    ``currency_symbol`` prefixes money in the plain-English reasons.
    """

    SECTION: ClassVar[str] = "tiers"

    measure: TierMeasure = "clv"
    shares: TierShares = field(default_factory=TierShares)
    potential_min_p_alive: float = 0.5
    currency_symbol: str = "¥"

    def __post_init__(self) -> None:
        _check_choice(f"{self.SECTION}.measure", self.measure, TIER_MEASURES)
        if not isinstance(self.shares, TierShares):
            raise ConfigError(f"{self.SECTION}.shares must be a TierShares")
        _check_number(
            f"{self.SECTION}.potential_min_p_alive", self.potential_min_p_alive, low=0, high=1
        )
        if not isinstance(self.currency_symbol, str) or len(self.currency_symbol) > 5:
            raise ConfigError(
                f"{self.SECTION}.currency_symbol must be a short text such as ¥ or $; "
                f"got {self.currency_symbol!r}"
            )


@dataclass(frozen=True)
class TrendConfig:
    """The revenue trend: the last ``window_periods`` time units against the ones before.

    ``window_periods`` None means the scoring horizon (a year by default: year on year,
    which also cancels seasonality). A customer's trend is only measured when at least
    ``min_previous_exposure`` of the earlier window lies after their first purchase.
    """

    SECTION: ClassVar[str] = "trend"

    window_periods: int | None = None
    min_previous_exposure: float = 0.5

    def __post_init__(self) -> None:
        window = self.window_periods
        if window is not None and (
            not isinstance(window, int) or isinstance(window, bool) or window < 1
        ):
            raise ConfigError(
                f"{self.SECTION}.window_periods must be a whole number >= 1 (time units) or "
                f"null for the horizon; got {window!r}"
            )
        _check_number(
            f"{self.SECTION}.min_previous_exposure",
            self.min_previous_exposure,
            low=0.0,
            high=1.0,
            low_open=True,
        )


@dataclass(frozen=True)
class LifecycleConfig:
    """Thresholds of the lifecycle rules (VAL-7); see `kam_analytics.models.lifecycle`.

    ``growth_ratio`` / ``decline_ratio``: the recent spend rate over the earlier one that
    counts as clearly up / down (1.25 = +25%, 0.8 = -20%, symmetric in log terms).
    """

    SECTION: ClassVar[str] = "lifecycle"

    new_within_days: float = 182.625  # two quarters
    growth_ratio: float = 1.25
    decline_ratio: float = 0.8
    declining_p_alive: float = 0.5
    lost_p_alive: float = 0.1
    lost_silence_multiple: float = 3.0
    lost_min_silence_days: float = 90.0

    def __post_init__(self) -> None:
        key = self.SECTION
        _check_number(f"{key}.new_within_days", self.new_within_days, low=0.0)
        _check_number(f"{key}.growth_ratio", self.growth_ratio, low=1.0, low_open=True)
        _check_number(f"{key}.decline_ratio", self.decline_ratio, low=0.0, high=1.0, high_open=True)
        _check_number(f"{key}.declining_p_alive", self.declining_p_alive, low=0.0, high=1.0)
        _check_number(f"{key}.lost_p_alive", self.lost_p_alive, low=0.0, high=1.0)
        if self.lost_p_alive > self.declining_p_alive:
            raise ConfigError(
                f"{key}.lost_p_alive ({self.lost_p_alive:g}) must not exceed "
                f"{key}.declining_p_alive ({self.declining_p_alive:g})"
            )
        _check_number(
            f"{key}.lost_silence_multiple", self.lost_silence_multiple, low=0.0, low_open=True
        )
        _check_number(f"{key}.lost_min_silence_days", self.lost_min_silence_days, low=0.0)


@dataclass(frozen=True)
class ValueConfig:
    """All settings of a scoring run."""

    weights: ScoreWeights = field(default_factory=ScoreWeights)
    tiers: TierConfig = field(default_factory=TierConfig)
    trend: TrendConfig = field(default_factory=TrendConfig)
    lifecycle: LifecycleConfig = field(default_factory=LifecycleConfig)
    rfm_bins: int = 5

    def __post_init__(self) -> None:
        bins = self.rfm_bins
        if not isinstance(bins, int) or isinstance(bins, bool) or not 2 <= bins <= 100:
            raise ConfigError(f"rfm_bins must be a whole number from 2 to 100; got {bins!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON- and YAML-ready) that `config_from_mapping` reads back."""
        return asdict(self)


# --------------------------------------------------------------------------- reading


def load_config(path: str | Path) -> ValueConfig:
    """Read a ``.yaml``/``.yml`` or ``.json`` file of settings; missing keys keep defaults.

    Raises ConfigError (a ValueError) naming the file and the key on any problem.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json"}:
        raise ConfigError(f"{file}: expected a .yaml, .yml or .json settings file")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{file}: not valid {suffix.lstrip('.').upper()}: {exc}") from None
    try:
        return config_from_mapping({} if data is None else data)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None


def config_from_mapping(data: object) -> ValueConfig:
    """Build a `ValueConfig` from nested plain data (parsed YAML/JSON, or `to_dict()`)."""
    top = _mapping("the settings", data)
    _reject_unknown("", top, ("weights", "tiers", "trend", "lifecycle", "rfm_bins"))
    tiers = dict(_mapping("tiers", top.get("tiers", {})))
    _reject_unknown("tiers.", tiers, tuple(f.name for f in fields(TierConfig)))
    if "shares" in tiers:
        tiers["shares"] = _section(TierShares, tiers["shares"])
    values: dict[str, Any] = {
        "weights": _section(ScoreWeights, top.get("weights", {})),
        "tiers": TierConfig(**tiers),
        "trend": _section(TrendConfig, top.get("trend", {})),
        "lifecycle": _section(LifecycleConfig, top.get("lifecycle", {})),
    }
    if "rfm_bins" in top:
        values["rfm_bins"] = top["rfm_bins"]
    return ValueConfig(**values)


def _section(kind: Any, data: object) -> Any:
    section = _mapping(kind.SECTION, data)
    _reject_unknown(f"{kind.SECTION}.", section, tuple(f.name for f in fields(kind)))
    return kind(**section)


def _mapping(key: str, data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{key} must be a mapping of names to values; got {data!r}")
    return data


def _reject_unknown(prefix: str, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key} is not a setting; expected one of {', '.join(known)}")

"""Data-driven segmentation and explainable classification (SEG-2, SEG-4, VAL-5).

One row per account; the caller names the numeric and the categorical feature columns.

1. **Features** (`prepare_features`). A numeric feature is log-transformed (``log1p``) when
   its sample skewness is above 1 and it has no negative value: money, counts and
   employees have long right tails that would otherwise put every account but the
   largest in one corner. It is then centred on its median and divided by its robust
   scale, the interquartile range / 1.349 (equal to the standard deviation for normal
   data), or by the standard deviation when the IQR is 0 (a mostly-constant feature).
   Missing values get the median, and a 0/1 "missing" column is added for each feature
   that has any, so "not known" stays visible instead of passing for "average".
   A categorical feature is one-hot encoded; levels held by fewer than 2% of the
   accounts or fewer than 5 accounts are merged into "other" (one column per rare level
   would be mostly noise). The one-hot columns are multiplied by 1/sqrt(2), so two
   accounts in different levels are exactly 1 apart, like two accounts one robust
   standard deviation apart on a numeric feature, *whatever the number of levels*: each
   categorical feature weighs as much as one numeric feature in the Euclidean distance
   of k-means, and a 30-level industry code cannot swamp revenue and frequency.
2. **k-means with k from the data** (`segment_accounts`): k = 2..8 (never more than
   n / 5 nor the number of distinct rows), Lloyd's algorithm (MacQueen 1967; Lloyd 1982)
   with k-means++ starts, 10 starts per k and a fixed seed. Each k gets its mean
   silhouette (Rousseeuw 1987) on a seeded sample of at most 5,000 accounts; the chosen
   k is the smallest whose silhouette is within 0.01 of the best (fewer segments are
   easier to act on, and smaller differences are sampling noise). Books over 10,000
   accounts choose k on a seeded sample of 10,000 and then run k-means on every account
   from the sample's centres. Segments are numbered 1..k by descending total revenue
   (then size), so the numbering never depends on k-means' internal order; rows are put
   in id order before fitting, so the result does not depend on the order of the rows.
3. **Descriptions** (`describe_segments`): numeric features whose segment median differs
   from the book median by at least 0.5 robust standard deviations (on the scale of
   step 1), and categorical levels with a lift of at least 1.5 that hold at least 40% of
   the segment, put into words from `FEATURE_WORDS` and the level tables, in English and
   Simplified Chinese.
4. **Rules** (`explain_labels`): a CART decision tree (Breiman et al. 1984) fitted on the
   readable features reproduces given labels (tiers or segments); one if/then rule per
   leaf, with thresholds in the features' own units.
5. **Validity** (`segment_validity`, SEG-4): measurable, substantial, accessible,
   differentiable (Kruskal & Wallis 1952, with epsilon-squared) and homogeneous
   (silhouette), each pass or warn with the reason.

See docs/methods/segmentation.md.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

from kam_analytics.models.diagnostics import FloatArray

__all__ = [
    "CATEGORY_WEIGHT",
    "CHECKS",
    "FEATURE_WORDS",
    "MISSING_LEVEL",
    "OTHER_LEVEL",
    "SEGMENTATION_NOTE_CODES",
    "Bilingual",
    "CategoricalPrep",
    "CheckResult",
    "FeatureWords",
    "KScore",
    "LabelRules",
    "LeafRule",
    "LevelContrast",
    "MeasureDifference",
    "NumericContrast",
    "NumericPrep",
    "PreparedFeatures",
    "RuleCondition",
    "SegmentChecks",
    "SegmentProfile",
    "SegmentValidity",
    "Segmentation",
    "SegmentationNote",
    "SegmentationSettings",
    "ValiditySettings",
    "describe_segments",
    "explain_labels",
    "prepare_features",
    "segment_accounts",
    "segment_validity",
]

#: Weight of each one-hot column: two accounts in different levels are 1 apart.
CATEGORY_WEIGHT = 1.0 / math.sqrt(2.0)
#: The level rare levels are merged into, and the level of a missing categorical value.
OTHER_LEVEL = "other"
MISSING_LEVEL = "(missing)"
#: The interquartile range of a normal distribution in standard deviations.
_IQR_OF_NORMAL = 1.3489795003921634
#: Fewer accounts than this cannot be segmented (k >= 2 clusters of >= 5 accounts).
_MIN_ACCOUNTS = 10

#: Every code a `SegmentationNote` can have (for translation tables).
SEGMENTATION_NOTE_CODES = frozenset(
    {
        "segmentation_identical_rows",
        "segmentation_k_capped",
        "segmentation_searched_on_sample",
        "features_missing_imputed",
        "features_constant",
        "features_levels_merged",
        "rules_cv_folds_reduced",
        "rules_cv_not_possible",
    }
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Bilingual:
    """A text the user sees, in English and in Simplified Chinese."""

    en: str
    zh: str


@dataclass(frozen=True)
class SegmentationNote:
    """A warning or remark in both languages, with a stable ``code`` and its figures."""

    code: str
    en: str
    zh: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in SEGMENTATION_NOTE_CODES:
            raise ValueError(f"unknown note code {self.code!r}: add it to SEGMENTATION_NOTE_CODES")


# --------------------------------------------------------------------------- settings


def _check_between(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be a number between {low:g} and {high:g}; got {value!r}")


def _check_whole(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number of at least {low}; got {value!r}")


@dataclass(frozen=True)
class SegmentationSettings:
    """Settings of feature preparation, k-means and the descriptions (defaults above)."""

    k_min: int = 2
    k_max: int = 8
    min_accounts_per_segment: int = 5  # k <= n / 5
    n_init: int = 10
    random_state: int = 0
    silhouette_sample: int = 5_000
    search_sample: int = 10_000
    tie_tolerance: float = 0.01
    skew_threshold: float = 1.0
    rare_level_share: float = 0.02
    rare_level_count: int = 5
    min_effect: float = 0.5  # |median difference| in robust SDs to be put in words
    strong_effect: float = 1.0  # "well above" from here
    min_lift: float = 1.5
    min_level_share: float = 0.4
    max_numeric_words: int = 3

    def __post_init__(self) -> None:
        _check_whole("k_min", self.k_min, 2)
        _check_whole("k_max", self.k_max, self.k_min)
        _check_whole("min_accounts_per_segment", self.min_accounts_per_segment, 1)
        _check_whole("n_init", self.n_init, 10)
        _check_whole("random_state", self.random_state, 0)
        _check_whole("silhouette_sample", self.silhouette_sample, 100)
        _check_whole("search_sample", self.search_sample, 100)
        _check_between("tie_tolerance", self.tie_tolerance, 0.0, 1.0)
        _check_between("skew_threshold", self.skew_threshold, 0.0, math.inf)
        _check_between("rare_level_share", self.rare_level_share, 0.0, 0.5)
        _check_whole("rare_level_count", self.rare_level_count, 0)
        _check_between("min_effect", self.min_effect, 0.0, math.inf)
        _check_between("strong_effect", self.strong_effect, self.min_effect, math.inf)
        _check_between("min_lift", self.min_lift, 1.0, math.inf)
        _check_between("min_level_share", self.min_level_share, 0.0, 1.0)
        _check_whole("max_numeric_words", self.max_numeric_words, 0)


@dataclass(frozen=True)
class ValiditySettings:
    """Thresholds of the SEG-4 checks (see `segment_validity`).

    A segment is *substantial* when it holds ``min_account_share`` of the accounts **or**
    ``min_revenue_share`` of the revenue (a few very large accounts are a segment worth
    having), and, when margins are given, its margin is above 0. Effect sizes follow
    Cohen (1988): epsilon-squared 0.06 and a rank-biserial correlation of 0.3 are
    "medium". A mean silhouette of 0.25 or less is "no substantial structure"
    (Kaufman & Rousseeuw 1990).
    """

    min_coverage: float = 0.8
    min_account_share: float = 0.05
    min_revenue_share: float = 0.10
    min_owner_share: float = 0.8
    min_contact_share: float = 0.8
    alpha: float = 0.05
    min_epsilon_squared: float = 0.06
    min_rank_biserial: float = 0.3
    min_silhouette: float = 0.25
    min_segment_silhouette: float = 0.0
    silhouette_sample: int = 5_000
    random_state: int = 0

    def __post_init__(self) -> None:
        for name in (
            "min_coverage",
            "min_account_share",
            "min_revenue_share",
            "min_owner_share",
            "min_contact_share",
            "min_epsilon_squared",
            "min_rank_biserial",
        ):
            _check_between(name, getattr(self, name), 0.0, 1.0)
        _check_between("alpha", self.alpha, 0.0, 0.5)
        _check_between("min_silhouette", self.min_silhouette, -1.0, 1.0)
        _check_between("min_segment_silhouette", self.min_segment_silhouette, -1.0, 1.0)
        _check_whole("silhouette_sample", self.silhouette_sample, 100)
        _check_whole("random_state", self.random_state, 0)


# --------------------------------------------------------------------------- words


@dataclass(frozen=True)
class FeatureWords:
    """How a feature is named and described, in English and Simplified Chinese.

    Numeric features: ``high_*`` / ``low_*`` describe a segment above / below the book
    ("{very}" becomes "very " / "很" for a strong difference); empty means the generic
    "with <name> (well) above average" / "<name>（远）高于平均". ``role`` places the phrase:
    ``adjective`` before the noun ("large", 大型), ``clause`` after it ("buying often").
    Categorical features: ``role`` says how a level is used: ``noun`` (industry:
    "manufacturers", 制造企业), ``adjective`` (ownership: "state-owned", 国有), ``place``
    (region: "in East China", 华东地区) or ``clause`` ("mostly <name>: <level>").
    ``money`` shows thresholds as money (1.2M).
    """

    name_en: str
    name_zh: str
    high_en: str = ""
    high_zh: str = ""
    low_en: str = ""
    low_zh: str = ""
    role: Literal["adjective", "clause", "noun", "place"] = "clause"
    money: bool = False


_W = FeatureWords

# One row per feature: its names, then the words for a segment above / below the book.
# "{very}" becomes "very " / "很" when the difference is strong (>= strong_effect).
# fmt: off
_WORD_ROWS: tuple[tuple[tuple[str, ...], FeatureWords], ...] = (
    (("total_revenue", "revenue", "sales"),
     _W("total revenue", "总收入", "spending {very}heavily", "采购金额{very}大",
        "spending {very}little", "采购金额{very}小", money=True)),
    (("frequency", "purchase_days", "n_transactions", "orders", "n_orders"),
     _W("purchase frequency", "购买频次", "buying {very}often", "购买{very}频繁",
        "buying {very}rarely", "购买{very}稀少")),
    (("days_since_last",),
     _W("days since last purchase", "距上次购买天数", "not buying lately", "近期未购买",
        "bought recently", "近期有购买")),
    (("recency",),
     _W("recency (first to last purchase)", "首末次购买间隔", "buying over a {very}long span",
        "购买历史{very}长", "with a {very}short buying history", "购买历史{very}短")),
    (("monetary", "average_order_value", "avg_order_value"),
     _W("average order value", "平均订单金额", "placing {very}large orders",
        "单笔订单金额{very}大", "placing {very}small orders", "单笔订单金额{very}小",
        money=True)),
    (("clv",),
     _W("customer lifetime value", "客户终身价值", "with {very}high lifetime value",
        "终身价值{very}高", "with {very}low lifetime value", "终身价值{very}低", money=True)),
    (("p_alive",),
     _W("probability still active", "仍活跃概率", "likely still active", "大概率仍活跃",
        "possibly lapsing", "可能正在流失")),
    (("employees", "employee_count", "headcount"),
     _W("employees", "员工人数", "large", "大型", "small", "小型", role="adjective")),
    (("annual_revenue", "company_revenue", "turnover"),
     _W("annual revenue", "年营业收入", "large", "大型", "small", "小型", role="adjective",
        money=True)),
    (("discount_share",),
     _W("discount share", "折扣订单占比", "{very}sensitive to price", "对价格{very}敏感",
        "insensitive to price", "对价格不敏感")),
    (("discount_depth",),
     _W("discount depth", "折扣力度", "taking {very}deep discounts", "折扣力度{very}大",
        "taking shallow discounts", "折扣力度小")),
    (("growth_trend", "growth"),
     _W("growth trend", "增长趋势", "with {very}fast-growing revenue", "收入增长{very}快",
        "with declining revenue", "收入在下滑")),
    (("score",),
     _W("composite score", "综合评分", "scoring {very}high", "综合评分{very}高",
        "scoring {very}low", "综合评分{very}低")),
    (("total_margin", "margin", "gross_margin"),
     _W("margin", "毛利", "with {very}high margins", "利润贡献{very}高",
        "with {very}thin margins", "利润贡献{very}低", money=True)),
    # Categorical features: how their levels are used (see the level tables below).
    (("industry", "sector"), _W("industry", "行业", role="noun")),
    (("ownership", "ownership_type"), _W("ownership", "所有制", role="adjective")),
    (("region", "province", "area", "city"), _W("region", "地区", role="place")),
    (("size_band", "size", "company_size"), _W("size", "规模", role="adjective")),
    (("tier",), _W("tier", "层级", role="adjective")),
)
# fmt: on

#: Feature (normalised column name) -> its words: the one table of word rules.
FEATURE_WORDS: dict[str, FeatureWords] = {key: w for keys, w in _WORD_ROWS for key in keys}

_LevelTable = dict[str, tuple[str, str]]


def _levels(*entries: tuple[tuple[str, ...], str, str]) -> _LevelTable:
    return {key: (en, zh) for keys, en, zh in entries for key in keys}


#: Levels of noun features (industry): the plural noun and the Chinese noun.
_NOUN_LEVELS = _levels(
    (("manufacturing", "manufacturer", "制造", "制造业"), "manufacturers", "制造企业"),
    (("retail", "零售", "零售业"), "retailers", "零售企业"),
    (("wholesale", "distribution", "批发", "分销"), "wholesalers", "批发企业"),
    (("technology", "tech", "it", "software", "科技", "信息技术"), "technology firms", "科技企业"),
    (("healthcare", "medical", "pharmaceutical", "医疗", "医药"), "healthcare firms", "医疗企业"),
    (("finance", "financial_services", "banking", "金融"), "financial firms", "金融企业"),
    (("energy", "utilities", "能源"), "energy companies", "能源企业"),
    (("construction", "建筑", "建筑业"), "construction firms", "建筑企业"),
    (("logistics", "transport", "物流", "交通运输"), "logistics firms", "物流企业"),
    (("chemicals", "chemical", "化工"), "chemical makers", "化工企业"),
    (("automotive", "auto", "汽车"), "automotive firms", "汽车企业"),
    (("food", "food_and_beverage", "食品", "食品饮料"), "food companies", "食品企业"),
    (("mining", "矿业", "采矿"), "mining companies", "矿业企业"),
    (("telecom", "telecommunications", "通信", "电信"), "telecom companies", "通信企业"),
    (("education", "教育"), "education providers", "教育机构"),
    (("government", "public_sector", "政府", "公共部门"), "public bodies", "政府机构"),
)
#: Levels of adjective features (ownership, size band, tier).
_ADJECTIVE_LEVELS = _levels(
    (("state_owned", "soe", "state", "国有", "国企", "国有企业"), "state-owned", "国有"),
    (("private", "privately_owned", "民营", "私营"), "private", "民营"),
    (("foreign", "foreign_owned", "foreign_invested", "外资"), "foreign-owned", "外资"),
    (("joint_venture", "jv", "合资"), "joint-venture", "合资"),
    (("collective", "集体"), "collectively owned", "集体"),
    (("listed", "上市"), "listed", "上市"),
    (("large", "big", "大", "大型"), "large", "大型"),
    (("medium", "mid", "mid_sized", "中", "中型"), "mid-sized", "中型"),
    (("small", "小", "小型"), "small", "小型"),
    (("micro", "微", "微型"), "micro", "微型"),
    (("diamond", "钻石"), "diamond-tier", "钻石级"),
    (("core", "核心"), "core-tier", "核心"),
    (("potential", "潜力"), "potential-tier", "潜力"),
    (("basic", "基础"), "basic-tier", "基础"),
)
#: Levels of place features (region).
_PLACE_LEVELS = _levels(
    (("east_china", "east", "华东"), "in East China", "华东地区"),
    (("north_china", "north", "华北"), "in North China", "华北地区"),
    (("south_china", "south", "华南"), "in South China", "华南地区"),
    (("central_china", "central", "华中"), "in Central China", "华中地区"),
    (("northeast_china", "northeast", "东北"), "in Northeast China", "东北地区"),
    (("northwest_china", "northwest", "西北"), "in Northwest China", "西北地区"),
    (("southwest_china", "southwest", "西南"), "in Southwest China", "西南地区"),
)
_LEVEL_TABLES: dict[str, _LevelTable] = {
    "noun": _NOUN_LEVELS,
    "adjective": _ADJECTIVE_LEVELS,
    "place": _PLACE_LEVELS,
}
#: Label (tier) names in Chinese for the rules, when the caller gives none.
_LABEL_ZH = {"diamond": "钻石", "core": "核心", "potential": "潜力", "basic": "基础"}


def _key(name: object) -> str:
    """A column or level name for the word tables: lower case, words joined by "_"."""
    text = str(name).strip().lower()
    for mark in ("-", " ", "/", "."):
        text = text.replace(mark, "_")
    return text


def _words_of(feature: str, words: Mapping[str, FeatureWords] | None) -> FeatureWords:
    """The words of ``feature``: the caller's first, then `FEATURE_WORDS`, then generic."""
    for table in (words or {}, FEATURE_WORDS):
        if feature in table:
            return table[feature]
        found = {_key(k): v for k, v in table.items()}.get(_key(feature))
        if found is not None:
            return found
    readable = str(feature).replace("_", " ").strip()
    return FeatureWords(name_en=readable, name_zh=readable)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class NumericPrep:
    """How one numeric feature was prepared: the log rule, centre, scale and missing values.

    ``centre`` and ``scale`` are on the transformed (log1p when ``log``) scale;
    ``scale_kind`` is "iqr" (IQR / 1.349), "std" (IQR was 0) or "none" (constant).
    """

    name: str
    log: bool
    skew: float
    centre: float
    scale: float
    scale_kind: Literal["iqr", "std", "none"]
    missing: int

    def transform(self, values: npt.ArrayLike) -> FloatArray:
        """Values on the scale the centre and scale refer to (log1p when ``log``)."""
        array = np.asarray(values, dtype=np.float64)
        return np.log1p(array) if self.log else array


@dataclass(frozen=True)
class CategoricalPrep:
    """One categorical feature: its levels (column order) and the rare levels merged."""

    name: str
    levels: tuple[str, ...]
    merged: tuple[str, ...]


@dataclass(frozen=True)
class PreparedFeatures:
    """The distance space of k-means, and how every feature got there.

    ``matrix`` (accounts x columns, input row order); ``columns`` its column names
    ("revenue", "revenue missing", "industry=retail"); ``column_feature`` the input
    feature of each column. ``transformed``: numeric features after the log rule, missing
    values kept; ``categories``: each account's level after merging rare levels.
    """

    matrix: FloatArray
    columns: tuple[str, ...]
    column_feature: tuple[str, ...]
    numeric: tuple[NumericPrep, ...]
    categorical: tuple[CategoricalPrep, ...]
    transformed: pd.DataFrame
    categories: pd.DataFrame
    notes: tuple[SegmentationNote, ...]


def prepare_features(
    accounts: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    settings: SegmentationSettings | None = None,
) -> PreparedFeatures:
    """The feature matrix for k-means (see the module docstring, step 1)."""
    cfg = settings if settings is not None else SegmentationSettings()
    numeric, categorical = _feature_lists(accounts, numeric, categorical)
    blocks: list[FloatArray] = []
    columns: list[str] = []
    owners: list[str] = []
    numeric_preps: list[NumericPrep] = []
    transformed: dict[str, FloatArray] = {}
    notes: list[SegmentationNote] = []
    for name in numeric:
        values = _numeric_column(accounts, name)
        prep = _numeric_prep(name, values, cfg.skew_threshold)
        numeric_preps.append(prep)
        shown = prep.transform(values)
        transformed[name] = shown
        known = ~np.isnan(shown)
        scaled = (np.where(known, shown, prep.centre) - prep.centre) / prep.scale
        blocks.append(scaled[:, None])
        columns.append(name)
        owners.append(name)
        if prep.missing:
            blocks.append((~known).astype(np.float64)[:, None])
            columns.append(f"{name} missing")
            owners.append(name)
        notes.extend(_numeric_notes(prep, len(values)))
    category_preps: list[CategoricalPrep] = []
    categories: dict[str, npt.NDArray[np.object_]] = {}
    for name in categorical:
        levels = _category_values(accounts, name)
        merged_levels, prep_c = _merge_rare(name, levels, cfg)
        category_preps.append(prep_c)
        categories[name] = merged_levels
        for level in prep_c.levels:
            blocks.append(CATEGORY_WEIGHT * (merged_levels == level).astype(np.float64)[:, None])
            columns.append(f"{name}={level}")
            owners.append(name)
        if prep_c.merged:
            notes.append(
                SegmentationNote(
                    "features_levels_merged",
                    f"{name}: {len(prep_c.merged)} rare level(s) merged into "
                    f"{OTHER_LEVEL!r} (fewer than {cfg.rare_level_count} accounts or "
                    f"{cfg.rare_level_share:.0%} of the book).",
                    f"{name}：{len(prep_c.merged)} 个少见取值（少于 {cfg.rare_level_count} 个"
                    f"客户或占比低于 {cfg.rare_level_share:.0%}）已合并为“{OTHER_LEVEL}”。",
                    {"feature": name, "merged": len(prep_c.merged)},
                )
            )
    n = len(accounts)
    matrix = np.hstack(blocks) if blocks else np.empty((n, 0))
    return PreparedFeatures(
        matrix=np.ascontiguousarray(matrix, dtype=np.float64),
        columns=tuple(columns),
        column_feature=tuple(owners),
        numeric=tuple(numeric_preps),
        categorical=tuple(category_preps),
        transformed=pd.DataFrame(transformed, index=accounts.index),
        categories=pd.DataFrame(categories, index=accounts.index),
        notes=tuple(notes),
    )


def _feature_lists(
    accounts: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> tuple[list[str], list[str]]:
    for what, names in (("numeric", numeric), ("categorical", categorical)):
        if isinstance(names, str):
            raise ValueError(f"{what} must be a list of column names; got the text {names!r}")
    numeric, categorical = list(numeric), list(categorical)
    if not numeric and not categorical:
        raise ValueError("no features: give at least one numeric or categorical column")
    missing = [name for name in [*numeric, *categorical] if name not in accounts.columns]
    if missing:
        raise ValueError(
            f"the column(s) {', '.join(map(repr, missing))} are not in the accounts; it has "
            f"{', '.join(map(repr, map(str, accounts.columns)))}"
        )
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise ValueError(
            f"the column(s) {', '.join(map(repr, both))} are given as numeric and as "
            "categorical; give each column once"
        )
    for what, names in (("numeric", numeric), ("categorical", categorical)):
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"{what}: the column(s) {', '.join(map(repr, repeated))} repeat")
    return numeric, categorical


def _numeric_column(accounts: pd.DataFrame, name: str) -> FloatArray:
    """A numeric column as floats, NaN where missing; a ValueError names a bad value."""
    raw = accounts[name]
    parsed = pd.to_numeric(raw, errors="coerce")
    values = np.asarray(parsed, dtype=np.float64)
    bad = (np.isnan(values) & raw.notna().to_numpy()) | np.isinf(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: row {row + 1} has {raw.iloc[row]!r}, which is not a finite number; "
            "numeric features need numbers (leave a value empty when it is not known)"
        )
    if np.isnan(values).all():
        raise ValueError(f"{name}: every value is missing; a numeric feature needs some values")
    return values


def _numeric_prep(name: str, values: FloatArray, skew_threshold: float) -> NumericPrep:
    known = values[~np.isnan(values)]
    skew = float(pd.Series(known).skew()) if known.size >= 3 else math.nan
    # log1p shortens a long right tail; it would lengthen a left one, hence skew > t, not |skew|.
    log = bool(math.isfinite(skew) and skew > skew_threshold and known.min() >= 0)
    shown = np.log1p(known) if log else known
    centre = float(np.median(shown))
    q75, q25 = np.percentile(shown, [75.0, 25.0])
    iqr = float(q75 - q25) / _IQR_OF_NORMAL
    std = float(np.std(shown))
    kind: Literal["iqr", "std", "none"] = "iqr" if iqr > 0 else "std" if std > 0 else "none"
    scale = {"iqr": iqr, "std": std, "none": 1.0}[kind]
    return NumericPrep(
        name=name,
        log=log,
        skew=skew,
        centre=centre,
        scale=scale,
        scale_kind=kind,
        missing=int(values.size - known.size),
    )


def _numeric_notes(prep: NumericPrep, n: int) -> list[SegmentationNote]:
    notes: list[SegmentationNote] = []
    if prep.missing:
        notes.append(
            SegmentationNote(
                "features_missing_imputed",
                f"{prep.name}: {prep.missing} of {n} accounts have no value; they get the "
                "median and a 'missing' indicator.",
                f"{prep.name}：{n} 个客户中有 {prep.missing} 个缺少数值，已用中位数填补，"
                "并增加“缺失”标记。",
                {"feature": prep.name, "missing": prep.missing, "accounts": n},
            )
        )
    if prep.scale_kind == "none":
        notes.append(
            SegmentationNote(
                "features_constant",
                f"{prep.name} has the same value for every account; it cannot tell segments apart.",
                f"{prep.name} 对所有客户取值相同，无法区分细分市场。",
                {"feature": prep.name},
            )
        )
    return notes


def _category_values(accounts: pd.DataFrame, name: str) -> npt.NDArray[np.object_]:
    """Levels as text; a missing value is the level `MISSING_LEVEL`."""
    column = accounts[name]
    text = column.astype(str).str.strip()
    blank = column.isna().to_numpy() | (text == "").to_numpy()
    return np.where(blank, MISSING_LEVEL, text.to_numpy(dtype=object)).astype(object)


def _merge_rare(
    name: str, levels: npt.NDArray[np.object_], cfg: SegmentationSettings
) -> tuple[npt.NDArray[np.object_], CategoricalPrep]:
    counts = pd.Series(levels).value_counts()
    n = len(levels)
    rare_mask = (counts < cfg.rare_level_count) | (counts < cfg.rare_level_share * n)
    rare = sorted(str(level) for level in counts.index[rare_mask.to_numpy()])
    merged = np.where(np.isin(levels, rare), OTHER_LEVEL, levels).astype(object)
    kept = tuple(sorted({str(level) for level in merged}))
    return merged, CategoricalPrep(name=name, levels=kept, merged=tuple(rare))


# --------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class NumericContrast:
    """A numeric feature in a segment against the book.

    ``effect``: (segment median - book median) / robust SD, on the prepared scale;
    ``direction`` "high" / "low" when abs(effect) >= ``min_effect``, else "typical";
    medians in the feature's own units; ``words`` the phrase, when it is distinguishing.
    """

    feature: str
    direction: Literal["high", "low", "typical"]
    effect: float
    segment_median: float
    book_median: float
    words: Bilingual | None


@dataclass(frozen=True)
class LevelContrast:
    """A categorical level over-represented in a segment (lift = segment / book share)."""

    feature: str
    level: str
    segment_share: float
    book_share: float
    lift: float
    words: Bilingual | None


@dataclass(frozen=True)
class SegmentProfile:
    """Size, revenue and the distinguishing features of one segment, with a description.

    ``numeric`` holds every numeric feature, largest abs(effect) first (the figures for a
    chart); ``levels`` the over-represented levels, largest lift first. ``revenue`` and
    ``revenue_share`` are NaN without a revenue column.
    """

    label: Hashable
    accounts: int
    share: float
    revenue: float
    revenue_share: float
    numeric: tuple[NumericContrast, ...]
    levels: tuple[LevelContrast, ...]
    description: Bilingual


def describe_segments(
    accounts: pd.DataFrame,
    labels: npt.ArrayLike,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    revenue_column: str | None = None,
    settings: SegmentationSettings | None = None,
    words: Mapping[str, FeatureWords] | None = None,
) -> tuple[SegmentProfile, ...]:
    """Profiles of any labelling (segments, tiers), in sorted label order.

    Describes on the same prepared scale as `segment_accounts`; ``words`` adds to or
    overrides `FEATURE_WORDS` for this call.
    """
    cfg = settings if settings is not None else SegmentationSettings()
    prepared = prepare_features(accounts, numeric=numeric, categorical=categorical, settings=cfg)
    label_array = _labels_array(labels, len(accounts))
    revenue = _revenue(accounts, revenue_column)
    return _profiles(prepared, label_array, revenue, cfg, words)


def _labels_array(labels: npt.ArrayLike, n: int) -> npt.NDArray[Any]:
    array = np.asarray(labels)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"labels must be one label per account ({n}); got shape {array.shape}")
    if pd.isna(pd.Series(array)).any():
        row = int(np.flatnonzero(pd.isna(pd.Series(array)).to_numpy())[0])
        raise ValueError(f"labels: row {row + 1} has no label; every account needs one")
    return array


def _sorted_unique(values: npt.NDArray[Any]) -> list[Any]:
    unique = list(pd.unique(pd.Series(values)))
    try:
        return sorted(unique)
    except TypeError:  # labels of mixed types: first appearance
        return unique


def _revenue(accounts: pd.DataFrame, column: str | None) -> FloatArray | None:
    if column is None:
        return None
    if column not in accounts.columns:
        raise ValueError(
            f"revenue_column {column!r} is not in the accounts; give the column with each "
            "account's revenue, or revenue_column=None"
        )
    values = _numeric_column(accounts, column)
    return np.asarray(np.nan_to_num(values, nan=0.0), dtype=np.float64)


def _profiles(
    prepared: PreparedFeatures,
    labels: npt.NDArray[Any],
    revenue: FloatArray | None,
    cfg: SegmentationSettings,
    words: Mapping[str, FeatureWords] | None,
) -> tuple[SegmentProfile, ...]:
    n = labels.shape[0]
    total_revenue = float(revenue.sum()) if revenue is not None else math.nan
    profiles = []
    for label in _sorted_unique(labels):
        member = labels == label
        size = int(member.sum())
        seg_revenue = float(revenue[member].sum()) if revenue is not None else math.nan
        numeric = _numeric_contrasts(prepared, member, cfg, words)
        levels = _level_contrasts(prepared, member, cfg, words)
        profiles.append(
            SegmentProfile(
                label=_plain(label),
                accounts=size,
                share=size / n,
                revenue=seg_revenue,
                revenue_share=(seg_revenue / total_revenue if total_revenue > 0 else math.nan),
                numeric=numeric,
                levels=levels,
                description=_description(
                    numeric, levels, [c.name for c in prepared.categorical], words
                ),
            )
        )
    return tuple(profiles)


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _numeric_contrasts(
    prepared: PreparedFeatures,
    member: BoolArray,
    cfg: SegmentationSettings,
    words: Mapping[str, FeatureWords] | None,
) -> tuple[NumericContrast, ...]:
    found = []
    for prep in prepared.numeric:
        shown = prepared.transformed[prep.name].to_numpy(dtype=np.float64)
        inside = shown[member & ~np.isnan(shown)]
        if inside.size == 0 or prep.scale_kind == "none":
            effect = 0.0 if inside.size else math.nan
        else:
            effect = (float(np.median(inside)) - prep.centre) / prep.scale
        raw = np.expm1(shown) if prep.log else shown
        direction: Literal["high", "low", "typical"] = "typical"
        if math.isfinite(effect) and abs(effect) >= cfg.min_effect:
            direction = "high" if effect > 0 else "low"
        found.append(
            NumericContrast(
                feature=prep.name,
                direction=direction,
                effect=effect,
                segment_median=float(np.nanmedian(raw[member])) if inside.size else math.nan,
                book_median=float(np.nanmedian(raw)),
                words=None,
            )
        )
    found.sort(key=lambda c: -abs(c.effect) if math.isfinite(c.effect) else 0.0)
    out = []
    for rank, contrast in enumerate(found):
        if contrast.direction != "typical" and rank < cfg.max_numeric_words:
            phrase = _numeric_phrase(contrast, cfg, _words_of(contrast.feature, words))
            contrast = replace(contrast, words=phrase)
        out.append(contrast)
    return tuple(out)


def _numeric_phrase(
    contrast: NumericContrast, cfg: SegmentationSettings, words: FeatureWords
) -> Bilingual:
    high = contrast.direction == "high"
    strong = abs(contrast.effect) >= cfg.strong_effect
    custom = (words.high_en, words.high_zh) if high else (words.low_en, words.low_zh)
    if custom[0] and custom[1]:
        return Bilingual(
            custom[0].replace("{very}", "very " if strong else ""),
            custom[1].replace("{very}", "很" if strong else ""),
        )
    en = ("well " if strong else "") + ("above" if high else "below")
    zh = ("远" if strong else "") + ("高于" if high else "低于")
    return Bilingual(f"with {words.name_en} {en} average", _zh_concat([words.name_zh, f"{zh}平均"]))


def _level_contrasts(
    prepared: PreparedFeatures,
    member: BoolArray,
    cfg: SegmentationSettings,
    words: Mapping[str, FeatureWords] | None,
) -> tuple[LevelContrast, ...]:
    found: list[LevelContrast] = []
    size = int(member.sum())
    for prep in prepared.categorical:
        levels = prepared.categories[prep.name].to_numpy(dtype=object)
        book = pd.Series(levels).value_counts(normalize=True)
        inside = pd.Series(levels[member]).value_counts() / size
        best_done = False
        for level in sorted(inside.index, key=lambda lv: (-inside[lv], str(lv))):
            share, base = float(inside[level]), float(book[level])
            lift = share / base
            if share < cfg.min_level_share or lift < cfg.min_lift:
                continue
            # One phrase per feature (the level holding most of the segment); "other" and
            # "(missing)" are figures for the app but say nothing in words.
            speakable = level not in (OTHER_LEVEL, MISSING_LEVEL) and not best_done
            phrase = _level_phrase(prep.name, str(level), words) if speakable else None
            best_done = best_done or speakable
            found.append(LevelContrast(prep.name, str(level), share, base, lift, phrase))
    found.sort(key=lambda c: (-c.lift, c.feature, c.level))
    return tuple(found)


def _level_phrase(feature: str, level: str, words: Mapping[str, FeatureWords] | None) -> Bilingual:
    fw = _words_of(feature, words)
    table = _LEVEL_TABLES.get(fw.role, {})
    known = table.get(_key(level))
    if known is not None:
        return Bilingual(*known)
    if fw.role == "noun":
        return Bilingual(f"{level} accounts", _zh_concat([level, "企业"]))
    if fw.role == "adjective":
        return Bilingual(level, level)
    if fw.role == "place":
        return Bilingual(f"in {level}", level)
    return Bilingual(f"mostly {fw.name_en} {level}", _zh_concat([f"{fw.name_zh}多为", level]))


def _description(
    numeric: tuple[NumericContrast, ...],
    levels: tuple[LevelContrast, ...],
    categorical: Sequence[str],
    words: Mapping[str, FeatureWords] | None,
) -> Bilingual:
    """ "Large state-owned manufacturers in East China, buying often, price-insensitive" /
    "华东地区大型国有制造企业，购买频繁，对价格不敏感".

    English: adjectives (size first), one noun ("accounts" by default), one place, then
    the clauses. Chinese: place, adjectives, noun (客户 by default), then the clauses.
    """
    adjectives: list[Bilingual] = []
    nouns: list[Bilingual] = []
    places: list[Bilingual] = []
    clauses: list[Bilingual] = []
    for number in numeric:
        if number.words is not None:
            role = _words_of(number.feature, words).role
            (adjectives if role == "adjective" else clauses).append(number.words)
    spoken = sorted(
        (c for c in levels if c.words is not None), key=lambda c: categorical.index(c.feature)
    )
    for contrast in spoken:
        fw = _words_of(contrast.feature, words)
        phrase = contrast.words
        assert phrase is not None
        if fw.role == "noun" and not nouns:
            nouns.append(phrase)
        elif fw.role == "place" and not places:
            places.append(phrase)
        elif fw.role == "adjective":
            adjectives.append(phrase)
        elif fw.role == "clause":
            clauses.append(phrase)
        else:  # a second noun or place: said as a clause
            clauses.append(
                Bilingual(
                    f"mostly {fw.name_en} {contrast.level}",
                    _zh_concat([f"{fw.name_zh}多为", contrast.level]),
                )
            )
    adjectives = _deduplicated(sorted(adjectives, key=lambda a: a.en not in _SIZE_WORDS))
    if not (adjectives or nouns or places or clauses):
        return Bilingual("Accounts close to the book average", "各项指标接近整体平均的客户")
    noun = nouns[0] if nouns else Bilingual("accounts", "客户")
    head_en = " ".join([*(a.en for a in adjectives), noun.en, *(p.en for p in places)])
    en = " ".join([head_en, ", ".join(c.en for c in clauses)]).strip()
    if not (adjectives or nouns or places):
        zh = "、".join(c.zh for c in clauses) + "的客户"
    else:
        head_zh = _zh_concat([*(p.zh for p in places), *(a.zh for a in adjectives), noun.zh])
        zh = "，".join([head_zh, *(c.zh for c in clauses)])
    return Bilingual(en[:1].upper() + en[1:], zh)


def _zh_concat(parts: Sequence[str]) -> str:
    """Chinese phrases run together, with a space after Latin text ("Jiangsu 客户")."""
    text = ""
    for part in parts:
        latin_end = text[-1:].isascii() and text[-1:].isalnum()
        latin_start = part[:1].isascii() and part[:1].isalnum()
        text += (" " if text and (latin_end or latin_start) else "") + part
    return text


# English puts size before other adjectives ("large state-owned", not "state-owned large").
_SIZE_WORDS = frozenset({"large", "mid-sized", "small", "micro"})


def _deduplicated(phrases: list[Bilingual]) -> list[Bilingual]:
    seen: set[str] = set()
    out = []
    for phrase in phrases:
        if phrase.en.lower() not in seen:
            seen.add(phrase.en.lower())
            out.append(phrase)
    return out


# --------------------------------------------------------------------------- k-means


@dataclass(frozen=True)
class KScore:
    """One point of the k curve: mean silhouette and within-cluster sum of squares.

    Both are measured on the accounts k was chosen on (all, or the search sample).
    """

    k: int
    silhouette: float
    inertia: float


@dataclass(frozen=True)
class Segmentation:
    """Segments 1..k of a book, how k was chosen, and what each segment is.

    ``ids`` and ``labels`` are in the input row order; segment 1 has the most revenue.
    ``curve`` is empty and ``silhouette`` NaN for the one-segment result of a book whose
    accounts are all alike. ``centres`` (k x columns of ``features.matrix``) row i is
    segment i + 1. ``searched_on`` is the number of accounts k was chosen on.
    """

    ids: npt.NDArray[Any]
    labels: IntArray
    k: int
    curve: tuple[KScore, ...]
    silhouette: float
    centres: FloatArray
    features: PreparedFeatures
    profiles: tuple[SegmentProfile, ...]
    searched_on: int
    notes: tuple[SegmentationNote, ...]

    def frame(self, id_column: str = "id") -> pd.DataFrame:
        """``id_column`` and ``segment``, one row per account."""
        return pd.DataFrame({id_column: self.ids, "segment": self.labels})


def segment_accounts(
    accounts: pd.DataFrame,
    *,
    id_column: str,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    revenue_column: str | None = "total_revenue",
    settings: SegmentationSettings | None = None,
    words: Mapping[str, FeatureWords] | None = None,
) -> Segmentation:
    """k-means segments with k chosen by silhouette (module docstring, steps 1-3).

    ``revenue_column`` numbers the segments by descending total revenue (it need not be a
    feature); ``None`` numbers them by size. Fewer than 10 accounts is a ValueError (no
    segmentation of so few means anything); a book whose accounts all have the same
    features gets one segment and a note, not an error: that is a finding.
    """
    cfg = settings if settings is not None else SegmentationSettings()
    ids = _ids(accounts, id_column)
    n = len(accounts)
    if n < _MIN_ACCOUNTS:
        raise ValueError(
            f"segmentation needs at least {_MIN_ACCOUNTS} accounts (two segments of "
            f"{cfg.min_accounts_per_segment}); got {n}"
        )
    revenue = _revenue(accounts, revenue_column)
    prepared = prepare_features(accounts, numeric=numeric, categorical=categorical, settings=cfg)
    # Fit in id order, so the same book in another row order gets the same segments.
    order = np.argsort(ids.astype(str), kind="stable")
    matrix = prepared.matrix[order]
    notes = list(prepared.notes)
    distinct = _distinct_rows(matrix, limit=cfg.k_max + 1)
    k_high = min(cfg.k_max, n // cfg.min_accounts_per_segment, distinct)
    if distinct <= 1:
        fitted = np.zeros(n, dtype=np.int64)
        curve: tuple[KScore, ...] = ()
        silhouette = math.nan
        searched = n
        notes.append(
            SegmentationNote(
                "segmentation_identical_rows",
                f"All {n} accounts have the same features: one segment.",
                f"全部 {n} 个客户的特征完全相同：只有一个细分市场。",
                {"accounts": n},
            )
        )
    elif k_high < cfg.k_min:
        raise ValueError(
            f"k_min = {cfg.k_min} segments cannot be made: {n} accounts with "
            f"{distinct} distinct feature rows allow at most {k_high}"
        )
    else:
        if k_high < cfg.k_max:
            notes.append(_k_capped_note(cfg, k_high, n, distinct))
        fitted, curve, silhouette, searched = _fit_kmeans(matrix, cfg, k_high)
        if searched < n:
            notes.append(
                SegmentationNote(
                    "segmentation_searched_on_sample",
                    f"k was chosen on a random sample of {searched} of the {n} accounts; "
                    "every account was then assigned.",
                    f"k 值基于 {n} 个客户中随机抽取的 {searched} 个选定，随后对全部客户分群。",
                    {"sample": searched, "accounts": n},
                )
            )
    in_order_revenue = revenue[order] if revenue is not None else None
    labels_in_order = _canonical_labels(fitted, in_order_revenue)
    labels = np.empty(n, dtype=np.int64)
    labels[order] = labels_in_order
    k = int(labels.max())
    centres = np.vstack([matrix[labels_in_order == s].mean(axis=0) for s in range(1, k + 1)])
    profiles = _profiles(prepared, labels, revenue, cfg, words)
    return Segmentation(
        ids=ids,
        labels=labels,
        k=k,
        curve=curve,
        silhouette=silhouette,
        centres=centres,
        features=prepared,
        profiles=profiles,
        searched_on=searched,
        notes=tuple(notes),
    )


def _ids(accounts: pd.DataFrame, id_column: str) -> npt.NDArray[Any]:
    if id_column not in accounts.columns:
        raise ValueError(
            f"id_column {id_column!r} is not in the accounts; it has "
            f"{', '.join(map(repr, map(str, accounts.columns)))}"
        )
    ids = accounts[id_column]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ValueError(f"{id_column}: row {row + 1} has no id; every account needs one")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ValueError(
            f"{id_column}: the id {repeated.iloc[0]!r} appears more than once; give one row "
            "per account"
        )
    return ids.to_numpy()


def _distinct_rows(matrix: FloatArray, *, limit: int) -> int:
    """The number of distinct rows, counted up to ``limit`` (enough to cap k)."""
    if matrix.shape[1] == 0:
        return 1
    rounded = np.round(matrix, 9)
    return int(min(np.unique(rounded, axis=0).shape[0], limit))


def _k_capped_note(
    cfg: SegmentationSettings, k_high: int, n: int, distinct: int
) -> SegmentationNote:
    least = cfg.min_accounts_per_segment
    rows = f"{distinct}{'+' if distinct > cfg.k_max else ''}"
    return SegmentationNote(
        "segmentation_k_capped",
        f"At most {k_high} segments were tried instead of {cfg.k_max}: {n} accounts allow "
        f"{n // least} segments of {least} or more, and the book has {rows} distinct "
        "feature rows.",
        f"最多尝试 {k_high} 个细分（而非 {cfg.k_max} 个）：{n} 个客户最多可分为每组至少 "
        f"{least} 个的 {n // least} 组，且不同的特征组合有 {rows} 种。",
        {"k_max": cfg.k_max, "k_tried": k_high, "accounts": n, "distinct_rows": distinct},
    )


def _fit_kmeans(
    matrix: FloatArray, cfg: SegmentationSettings, k_high: int
) -> tuple[IntArray, tuple[KScore, ...], float, int]:
    """Labels (0-based, k-means order), the curve, the chosen silhouette, rows searched."""
    n = matrix.shape[0]
    rng = np.random.default_rng(cfg.random_state)
    if n > cfg.search_sample:
        rows = np.sort(rng.choice(n, size=cfg.search_sample, replace=False))
        search = matrix[rows]
    else:
        search = matrix
    sample_size = cfg.silhouette_sample if search.shape[0] > cfg.silhouette_sample else None
    curve: list[KScore] = []
    fits: dict[int, Any] = {}
    for k in range(cfg.k_min, k_high + 1):
        model = KMeans(n_clusters=k, n_init=cfg.n_init, random_state=cfg.random_state)
        model.fit(search)
        fits[k] = model
        found = np.unique(model.labels_).size
        silhouette = (
            float(
                silhouette_score(
                    search, model.labels_, sample_size=sample_size, random_state=cfg.random_state
                )
            )
            if 2 <= found < search.shape[0]
            else -1.0
        )
        curve.append(KScore(k=k, silhouette=silhouette, inertia=float(model.inertia_)))
    best = _chosen_k(curve, cfg.tie_tolerance)
    model = fits[best.k]
    if search is matrix:
        labels = model.labels_
    else:
        final = KMeans(n_clusters=best.k, init=model.cluster_centers_, n_init=1)
        labels = final.fit(matrix).labels_
    return np.asarray(labels, dtype=np.int64), tuple(curve), best.silhouette, search.shape[0]


def _chosen_k(curve: Sequence[KScore], tolerance: float) -> KScore:
    """The smallest k whose silhouette is within ``tolerance`` of the best."""
    best = max(point.silhouette for point in curve)
    return next(point for point in curve if point.silhouette >= best - tolerance)


def _canonical_labels(fitted: IntArray, revenue: FloatArray | None) -> IntArray:
    """Segments 1..k by descending revenue, then size, then first row (id order)."""
    clusters = np.unique(fitted)
    keys = []
    for cluster in clusters:
        member = fitted == cluster
        money = float(revenue[member].sum()) if revenue is not None else 0.0
        keys.append((-round(money, 6), -int(member.sum()), int(np.argmax(member)), cluster))
    number = {key[3]: place + 1 for place, key in enumerate(sorted(keys))}
    return np.asarray([number[c] for c in fitted], dtype=np.int64)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RuleCondition:
    """One condition of a rule, merged per feature along the path.

    Numeric: ``lower`` < x <= ``upper`` (either may be None; both None: "is known")
    ``or_missing`` when accounts without a value go this way too; operator "missing" when
    only accounts without a value do (the tree's split of known against missing values,
    whose threshold is infinite). Categorical: ``operator`` "is" (one level) or "is not"
    (the levels).
    """

    feature: str
    operator: Literal["range", "missing", "is", "is not"]
    lower: float | None
    upper: float | None
    levels: tuple[str, ...]
    or_missing: bool
    text: Bilingual


@dataclass(frozen=True)
class LeafRule:
    """IF conditions THEN label: the leaf's majority label, its accounts and purity."""

    label: Hashable
    conditions: tuple[RuleCondition, ...]
    accounts: int
    correct: int
    purity: float
    text: Bilingual


@dataclass(frozen=True)
class LabelRules:
    """The tree's rules, accuracies and feature importances.

    ``training_accuracy``: share of accounts whose label the rules give;
    ``cv_accuracy``: mean accuracy of the same tree on held-out folds (stratified,
    seeded), NaN when a label has fewer than 2 accounts. ``importances``: each input
    feature's share of the impurity decrease (one-hot columns summed), largest first.
    ``model`` and ``columns`` are the fitted tree and its input columns.
    """

    rules: tuple[LeafRule, ...]
    training_accuracy: float
    cv_accuracy: float
    cv_folds: int
    importances: tuple[tuple[str, float], ...]
    classes: tuple[Hashable, ...]
    model: Any
    columns: tuple[str, ...]
    notes: tuple[SegmentationNote, ...]


@dataclass(frozen=True)
class _TreeColumn:
    feature: str
    level: str | None  # None for a numeric column


def explain_labels(
    features: pd.DataFrame,
    labels: npt.ArrayLike,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    max_depth: int = 3,
    min_leaf_share: float = 0.01,
    cv_folds: int = 5,
    random_state: int = 0,
    label_names: Mapping[Hashable, Bilingual] | None = None,
    currency_symbol: str = "",
    words: Mapping[str, FeatureWords] | None = None,
    settings: SegmentationSettings | None = None,
) -> LabelRules:
    """Readable rules that reproduce ``labels`` (tiers, segments): a CART tree.

    Fitted on the features as the user knows them: numbers in their own units (missing
    values are handled by the tree and shown as "or missing"), categoricals one-hot by
    level (rare levels merged into "other" as in `prepare_features`). Leaves hold at least
    ``min_leaf_share`` of the accounts (and at least 1). Each threshold is shown as the
    roundest number (at most 3 significant digits) between the two values it separates
    among the accounts reaching the split, so "> 1M" sorts those accounts exactly as the
    tree's own midpoint does; where no such number exists (dense data), the threshold is
    rounded to 3 significant digits. Leaf counts, purities and ``training_accuracy`` are
    those of the rules as shown; ``model`` keeps the tree's own thresholds. Labels are
    named by ``label_names``; by default, integers are "segment 2" / "细分市场 2" and
    tiers have their Chinese names.
    """
    cfg = settings if settings is not None else SegmentationSettings()
    _check_whole("max_depth", max_depth, 1)
    _check_between("min_leaf_share", min_leaf_share, 0.0, 0.5)
    _check_whole("cv_folds", cv_folds, 2)
    numeric, categorical = _feature_lists(features, numeric, categorical)
    label_array = _labels_array(labels, len(features))
    classes = _sorted_unique(label_array)
    if len(classes) < 2:
        raise ValueError(f"labels: every account has the label {classes[0]!r}; need two or more")
    codes = np.asarray([classes.index(v) for v in label_array], dtype=np.int64)
    x, columns = _tree_matrix(features, numeric, categorical, cfg)
    n = len(features)
    leaf = max(1, math.ceil(min_leaf_share * n))
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=leaf, random_state=random_state
    )
    tree.fit(x, codes)
    cv_accuracy, folds, notes = _cross_validated(
        x, codes, cv_folds, random_state, max_depth=max_depth, leaf=leaf
    )
    names = {
        c: label_names[c] if label_names and c in label_names else _label_words(c) for c in classes
    }
    rules, accuracy = _leaf_rules(tree, x, codes, columns, classes, names, currency_symbol, words)
    return LabelRules(
        rules=rules,
        training_accuracy=accuracy,
        cv_accuracy=cv_accuracy,
        cv_folds=folds,
        importances=_importances(tree.feature_importances_, columns, [*numeric, *categorical]),
        classes=tuple(_plain(c) for c in classes),
        model=tree,
        columns=tuple(c.feature if c.level is None else f"{c.feature}={c.level}" for c in columns),
        notes=tuple(notes),
    )


def _label_words(label: Hashable) -> Bilingual:
    """Segment numbers as "segment 2" / "细分市场 2"; tiers with their Chinese names."""
    value = _plain(label)
    if isinstance(value, int) and not isinstance(value, bool):
        return Bilingual(f"segment {value}", f"细分市场 {value}")
    text = str(value)
    return Bilingual(text, _LABEL_ZH.get(text, text))


def _tree_matrix(
    features: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    cfg: SegmentationSettings,
) -> tuple[FloatArray, list[_TreeColumn]]:
    blocks: list[FloatArray] = []
    columns: list[_TreeColumn] = []
    for name in numeric:
        blocks.append(_numeric_column(features, name)[:, None])
        columns.append(_TreeColumn(name, None))
    for name in categorical:
        merged, prep = _merge_rare(name, _category_values(features, name), cfg)
        for level in prep.levels:
            blocks.append((merged == level).astype(np.float64)[:, None])
            columns.append(_TreeColumn(name, level))
    return np.hstack(blocks), columns


def _cross_validated(
    x: FloatArray, codes: IntArray, folds: int, seed: int, *, max_depth: int, leaf: int
) -> tuple[float, int, list[SegmentationNote]]:
    smallest = int(np.bincount(codes).min())
    used = min(folds, smallest)
    if used < 2:
        return (
            math.nan,
            0,
            [
                SegmentationNote(
                    "rules_cv_not_possible",
                    "A label has a single account: no cross-validated accuracy.",
                    "有标签只包含一个客户：无法计算交叉验证准确率。",
                    {"smallest_label": smallest},
                )
            ],
        )
    notes = []
    if used < folds:
        notes.append(
            SegmentationNote(
                "rules_cv_folds_reduced",
                f"Cross-validation used {used} folds instead of {folds}: the smallest label "
                f"has {smallest} accounts.",
                f"交叉验证使用 {used} 折而非 {folds} 折：最小的标签只有 {smallest} 个客户。",
                {"folds": used, "asked": folds, "smallest_label": smallest},
            )
        )
    splitter = StratifiedKFold(n_splits=used, shuffle=True, random_state=seed)
    model = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf, random_state=seed)
    scores = cross_val_score(model, x, codes, cv=splitter, scoring="accuracy")
    return float(np.mean(scores)), used, notes


#: Thresholds in the rules have at most this many significant digits.
_RULE_DIGITS = 3


def _leaf_rules(
    tree: Any,
    x: FloatArray,
    codes: IntArray,
    columns: list[_TreeColumn],
    classes: list[Any],
    names: Mapping[Any, Bilingual],
    symbol: str,
    words: Mapping[str, FeatureWords] | None,
) -> tuple[tuple[LeafRule, ...], float]:
    """One rule per leaf, and the share of accounts the rules, as shown, label right."""
    structure = tree.tree_
    thresholds = _readable_thresholds(structure, tree.decision_path(x), x)
    missing_left = np.asarray(structure.missing_go_to_left, dtype=bool)
    leaves = _route(structure, x, thresholds, missing_left)
    has_missing: BoolArray = np.asarray(np.isnan(x).any(axis=0), dtype=bool)
    rules = []
    right = 0
    for leaf, path in _paths(structure):
        member = leaves == leaf
        if not member.any():
            continue
        counts = np.bincount(codes[member], minlength=len(classes))
        winner = int(np.argmax(counts))
        steps = []
        for node, left in path:
            j = int(structure.feature[node])
            missing_here = bool(has_missing[j]) and bool(missing_left[node]) == left
            steps.append((j, left, float(thresholds[node]), missing_here))
        conditions = _merged_conditions(steps, columns, symbol, words)
        size, correct = int(member.sum()), int(counts[winner])
        right += correct
        rules.append(
            LeafRule(
                label=_plain(classes[winner]),
                conditions=conditions,
                accounts=size,
                correct=correct,
                purity=correct / size,
                text=_rule_text(conditions, names[classes[winner]], correct / size, size),
            )
        )
    rules.sort(key=lambda r: (-r.accounts, str(r.label)))
    return tuple(rules), right / x.shape[0]


def _readable_thresholds(structure: Any, paths: Any, x: FloatArray) -> FloatArray:
    """Each split's threshold as the roundest number (at most `_RULE_DIGITS` significant
    digits) between the two values it separates among the accounts reaching the split;
    when there is none, the tree's threshold rounded to `_RULE_DIGITS` digits."""
    thresholds = np.asarray(structure.threshold, dtype=np.float64).copy()
    reach = paths.tocsc()
    for node in range(structure.node_count):
        if structure.children_left[node] == structure.children_right[node]:
            continue
        rows = reach[:, node].nonzero()[0]
        values = x[rows, int(structure.feature[node])]
        values = values[~np.isnan(values)]
        cut = float(thresholds[node])
        below, above = values[values <= cut], values[values > cut]
        found = None
        if below.size and above.size:
            found = _roundest(float(below.max()), float(above.min()), _RULE_DIGITS)
        thresholds[node] = found if found is not None else float(f"{cut:.{_RULE_DIGITS}g}")
    return thresholds


def _route(
    structure: Any, x: FloatArray, thresholds: FloatArray, missing_left: BoolArray
) -> IntArray:
    """The leaf each account reaches with ``thresholds`` (missing values as the tree)."""
    node = np.zeros(x.shape[0], dtype=np.int64)
    left_child = np.asarray(structure.children_left, dtype=np.int64)
    right_child = np.asarray(structure.children_right, dtype=np.int64)
    feature = np.asarray(structure.feature, dtype=np.int64)
    rows = np.arange(x.shape[0])
    while True:
        inner = left_child[node] != right_child[node]
        if not inner.any():
            return node
        at = node[inner]
        value = x[rows[inner], feature[at]]
        go_left = np.where(np.isnan(value), missing_left[at], value <= thresholds[at])
        node[inner] = np.where(go_left, left_child[at], right_child[at])


def _paths(structure: Any) -> list[tuple[int, list[tuple[int, bool]]]]:
    """(leaf node, [(split node, went left)]) for every leaf, depth first."""
    out: list[tuple[int, list[tuple[int, bool]]]] = []
    stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = int(structure.children_left[node]), int(structure.children_right[node])
        if left == right:  # a leaf (both -1)
            out.append((node, path))
            continue
        stack.append((right, [*path, (node, False)]))
        stack.append((left, [*path, (node, True)]))
    return out


def _roundest(low: float, high: float, max_digits: int) -> float | None:
    """The number with the fewest significant digits (at most ``max_digits``) in
    [low, high), or None."""
    if low <= 0.0 < high:
        return 0.0
    magnitude = math.floor(math.log10(max(abs(low), abs(high))))
    for digits in range(max_digits):
        step = 10.0 ** (magnitude - digits)
        candidate = float(f"{math.ceil(low / step) * step:.15g}")
        if low <= candidate < high:
            return candidate
    return None


def _merged_conditions(
    steps: list[tuple[int, bool, float, bool]],
    columns: list[_TreeColumn],
    symbol: str,
    words: Mapping[str, FeatureWords] | None,
) -> tuple[RuleCondition, ...]:
    """The path's splits merged per feature: one range, or "is" / "is not" levels."""
    order: list[str] = []
    ranges: dict[str, list[Any]] = {}  # feature -> [lower, upper, or_missing]
    is_level: dict[str, str] = {}
    not_levels: dict[str, list[str]] = {}
    only_missing: set[str] = set()
    for j, left, threshold, missing_here in steps:
        column = columns[j]
        if column.feature not in order:
            order.append(column.feature)
        if column.level is None and math.isinf(threshold):  # known values left, missing right
            if left:
                bounds = ranges.setdefault(column.feature, [None, None, True])
                bounds[2] = bounds[2] and missing_here
            else:
                only_missing.add(column.feature)
        elif column.level is None:
            bounds = ranges.setdefault(column.feature, [None, None, True])
            if left:
                bounds[1] = threshold if bounds[1] is None else min(bounds[1], threshold)
            else:
                bounds[0] = threshold if bounds[0] is None else max(bounds[0], threshold)
            bounds[2] = bounds[2] and missing_here
        elif left:  # one-hot <= 0.5: not this level
            not_levels.setdefault(column.feature, []).append(column.level)
        else:
            is_level[column.feature] = column.level
    out = []
    for feature in order:
        fw = _words_of(feature, words)
        if feature in only_missing:
            text = Bilingual(f"{fw.name_en} is missing", f"{fw.name_zh}缺失")
            out.append(RuleCondition(feature, "missing", None, None, (), True, text))
        elif feature in ranges:
            lower, upper, or_missing = ranges[feature]
            if lower is None and upper is None and or_missing:
                continue  # known or missing: no condition at all
            text = _range_text(fw, lower, upper, bool(or_missing), symbol)
            out.append(RuleCondition(feature, "range", lower, upper, (), bool(or_missing), text))
        elif feature in is_level:
            level = is_level[feature]
            text = Bilingual(f"{fw.name_en} is {level}", f"{fw.name_zh}为“{level}”")
            out.append(RuleCondition(feature, "is", None, None, (level,), False, text))
        else:
            levels = tuple(not_levels[feature])
            text = Bilingual(
                f"{fw.name_en} is not {' or '.join(levels)}",
                f"{fw.name_zh}不是{'、'.join(f'“{v}”' for v in levels)}",
            )
            out.append(RuleCondition(feature, "is not", None, None, levels, False, text))
    return tuple(out)


def _range_text(
    fw: FeatureWords, lower: float | None, upper: float | None, or_missing: bool, symbol: str
) -> Bilingual:
    def shown(value: float) -> str:
        return _number_text(value, money=fw.money, symbol=symbol)

    if lower is None and upper is None:
        return Bilingual(f"{fw.name_en} is known", f"{fw.name_zh}已知")
    if lower is not None and upper is not None:
        en = f"{shown(lower)} < {fw.name_en} ≤ {shown(upper)}"
        zh = f"{shown(lower)} < {fw.name_zh} ≤ {shown(upper)}"
    elif upper is not None:
        en, zh = f"{fw.name_en} ≤ {shown(upper)}", f"{fw.name_zh} ≤ {shown(upper)}"
    else:
        assert lower is not None
        en, zh = f"{fw.name_en} > {shown(lower)}", f"{fw.name_zh} > {shown(lower)}"
    if or_missing:
        en, zh = f"{en} (or missing)", f"{zh}（或缺失）"
    return Bilingual(en, zh)


def _number_text(value: float, *, money: bool, symbol: str) -> str:
    """1.2M, 12K, 0.35; money with the currency symbol; up to six significant digits."""
    amount = abs(value)
    sign = "-" if value < 0 else ""
    prefix = symbol if money else ""
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if amount >= divisor and (money or amount >= 1e4):
            return f"{sign}{prefix}{amount / divisor:.6g}{suffix}"
    return f"{sign}{prefix}{amount:.6g}"


def _rule_text(
    conditions: tuple[RuleCondition, ...], label: Bilingual, purity: float, accounts: int
) -> Bilingual:
    if conditions:
        when_en = " AND ".join(c.text.en for c in conditions)
        when_zh = " 且 ".join(c.text.zh for c in conditions)
    else:
        when_en, when_zh = "any account", "任意客户"
    return Bilingual(
        f"IF {when_en} THEN {label.en} ({purity:.0%} of {accounts:,} accounts)",
        f"如果 {when_zh}，则为 {label.zh}（{accounts:,} 个客户中 {purity:.0%}）",
    )


def _importances(
    values: FloatArray, columns: list[_TreeColumn], features: list[str]
) -> tuple[tuple[str, float], ...]:
    totals = dict.fromkeys(features, 0.0)
    for column, value in zip(columns, values, strict=True):
        totals[column.feature] += float(value)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], features.index(item[0])))
    return tuple(ranked)


# --------------------------------------------------------------------------- validity

#: The SEG-4 checks, in the order they are shown.
CHECKS = ("measurable", "substantial", "accessible", "differentiable", "homogeneous")
_CHECK_NAMES = {
    "measurable": Bilingual("measurable", "可衡量性"),
    "substantial": Bilingual("substantial", "可盈利性"),
    "accessible": Bilingual("accessible", "可进入性"),
    "differentiable": Bilingual("differentiable", "差异性"),
    "homogeneous": Bilingual("homogeneous", "内部同质性"),
}
Status = Literal["pass", "warn", "not_checked"]


@dataclass(frozen=True)
class CheckResult:
    """One check of a segment or of the whole segmentation: status, reason, figures."""

    check: str
    status: Status
    reason: Bilingual
    figures: Mapping[str, float]

    @property
    def name(self) -> Bilingual:
        return _CHECK_NAMES[self.check]


@dataclass(frozen=True)
class SegmentChecks:
    """The checks of one segment, by check name (`CHECKS`)."""

    segment: Hashable
    accounts: int
    checks: Mapping[str, CheckResult]


@dataclass(frozen=True)
class MeasureDifference:
    """Kruskal-Wallis H test of one measure across segments, with epsilon-squared."""

    measure: str
    statistic: float
    p_value: float
    epsilon_squared: float
    differs: bool


@dataclass(frozen=True)
class SegmentValidity:
    """SEG-4 checks of every segment and of the segmentation as a whole."""

    overall: Mapping[str, CheckResult]
    segments: tuple[SegmentChecks, ...]
    differences: tuple[MeasureDifference, ...]
    silhouette: float
    settings: ValiditySettings

    @property
    def passed(self) -> bool:
        """True when no overall check warns."""
        return all(check.status != "warn" for check in self.overall.values())


def segment_validity(
    accounts: pd.DataFrame,
    *,
    segment_column: str,
    measures: Sequence[str],
    categorical: Sequence[str] = (),
    revenue_column: str | None = None,
    margin_column: str | None = None,
    owner_column: str | None = None,
    contact_column: str | None = None,
    settings: ValiditySettings | None = None,
) -> SegmentValidity:
    """The SEG-4 checks of a segmentation; pass, warn (with the reason) or not_checked.

    ``measures`` are the numeric defining measures, ``categorical`` the categorical
    defining features (coverage and silhouette only). ``owner_column`` and
    ``contact_column`` are booleans (the account has an owner / at least one contact;
    true/false, 1/0 or yes/no, empty counts as false). Without ``revenue_column`` a
    segment is substantial by its share of accounts only.

    * measurable: share of accounts with every defining value >= ``min_coverage``;
    * substantial: >= ``min_account_share`` of the accounts or >= ``min_revenue_share``
      of the revenue; with margins also a margin above 0;
    * accessible: share with an owner >= ``min_owner_share`` and with a contact >=
      ``min_contact_share``;
    * differentiable: overall, a Kruskal-Wallis test per measure (p < ``alpha`` and
      epsilon-squared = H / (n - 1) >= ``min_epsilon_squared``, Tomczak & Tomczak 2014) on
      at least one measure; per segment, a Mann-Whitney U test of the segment against the
      rest with rank-biserial r >= ``min_rank_biserial`` on at least one measure;
    * homogeneous: mean silhouette of the segmentation >= ``min_silhouette`` (per
      segment: its members' mean > ``min_segment_silhouette``), on the measures prepared
      as `prepare_features` does.

    Overall, measurable, substantial and accessible pass when every segment passes.
    """
    cfg = settings if settings is not None else ValiditySettings()
    if segment_column not in accounts.columns:
        raise ValueError(f"segment_column {segment_column!r} is not in the accounts")
    measures, categorical = _feature_lists(accounts, measures, categorical)
    labels = _labels_array(accounts[segment_column].to_numpy(), len(accounts))
    segments = _sorted_unique(labels)
    members = {s: labels == s for s in segments}
    values = {m: _numeric_column(accounts, m) for m in measures}
    known = np.ones(len(accounts), dtype=bool)
    for m in measures:
        known &= ~np.isnan(values[m])
    for c in categorical:
        known &= _category_values(accounts, c) != MISSING_LEVEL
    revenue = _revenue(accounts, revenue_column)
    margin = _revenue(accounts, margin_column)
    owner = _flags(accounts, owner_column)
    contact = _flags(accounts, contact_column)
    differences = _kruskal_wallis(values, labels, segments, cfg)
    silhouette, segment_silhouettes = _segmentation_silhouette(
        accounts, measures, categorical, labels, segments, cfg
    )
    per_segment = []
    for s in segments:
        member = members[s]
        checks = {
            "measurable": _measurable(known[member], cfg),
            "substantial": _substantial(member, revenue, margin, cfg),
            "accessible": _accessible(member, owner, contact, cfg),
            "differentiable": _segment_differs(values, member, cfg),
            "homogeneous": _segment_homogeneous(segment_silhouettes.get(s, math.nan), cfg),
        }
        per_segment.append(SegmentChecks(_plain(s), int(member.sum()), checks))
    overall = {
        check: _all_segments(check, per_segment)
        for check in ("measurable", "substantial", "accessible")
    }
    overall["measurable"] = _with_book_coverage(overall["measurable"], known)
    overall["differentiable"] = _overall_differs(differences, len(segments), cfg)
    overall["homogeneous"] = _overall_homogeneous(silhouette, len(segments), cfg)
    return SegmentValidity(
        overall={check: overall[check] for check in CHECKS},
        segments=tuple(per_segment),
        differences=differences,
        silhouette=silhouette,
        settings=cfg,
    )


def _flags(accounts: pd.DataFrame, column: str | None) -> BoolArray | None:
    if column is None:
        return None
    if column not in accounts.columns:
        raise ValueError(f"the column {column!r} is not in the accounts")
    raw = accounts[column]
    text = raw.astype(str).str.strip().str.lower()
    truthy = text.isin(["true", "1", "1.0", "yes", "y"]).to_numpy()
    falsy = text.isin(["false", "0", "0.0", "no", "n", "nan", "none", "<na>", ""]).to_numpy()
    bad = ~(truthy | falsy)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{column}: row {row + 1} has {raw.iloc[row]!r}; expected true or false (1 or 0)"
        )
    return np.asarray(truthy, dtype=bool)


def _p_text(p: float) -> str:
    """ "p = 0.42", "p = 0.0031", "p < 0.0001"."""
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"


def _share_text(value: float) -> str:
    return f"{100.0 * value:.1f}%" if math.isfinite(value) else "n/a"


def _measurable(known: BoolArray, cfg: ValiditySettings) -> CheckResult:
    coverage = float(known.mean()) if known.size else math.nan
    ok = coverage >= cfg.min_coverage
    figures = {"coverage": coverage, "min_coverage": cfg.min_coverage}
    if ok:
        reason = Bilingual(
            f"{_share_text(coverage)} of accounts have every defining value",
            f"{_share_text(coverage)} 的客户具备全部细分依据数据",
        )
    else:
        reason = Bilingual(
            f"only {_share_text(coverage)} of accounts have every defining value "
            f"(at least {_share_text(cfg.min_coverage)} needed)",
            f"仅 {_share_text(coverage)} 的客户具备全部细分依据数据"
            f"（至少需要 {_share_text(cfg.min_coverage)}）",
        )
    return CheckResult("measurable", "pass" if ok else "warn", reason, figures)


def _substantial(
    member: BoolArray, revenue: FloatArray | None, margin: FloatArray | None, cfg: ValiditySettings
) -> CheckResult:
    share = float(member.mean())
    total = float(revenue.sum()) if revenue is not None else math.nan
    revenue_share = (
        float(revenue[member].sum()) / total if revenue is not None and total > 0 else math.nan
    )
    big_enough = share >= cfg.min_account_share or (
        math.isfinite(revenue_share) and revenue_share >= cfg.min_revenue_share
    )
    segment_margin = float(margin[member].sum()) if margin is not None else math.nan
    profitable = margin is None or segment_margin > 0
    figures = {
        "account_share": share,
        "revenue_share": revenue_share,
        "margin": segment_margin,
        "min_account_share": cfg.min_account_share,
        "min_revenue_share": cfg.min_revenue_share,
    }
    size_en = f"{_share_text(share)} of accounts, {_share_text(revenue_share)} of revenue"
    size_zh = f"占客户数 {_share_text(share)}，占收入 {_share_text(revenue_share)}"
    if big_enough and profitable:
        return CheckResult("substantial", "pass", Bilingual(size_en, size_zh), figures)
    problems_en, problems_zh = [], []
    if not big_enough:
        problems_en.append(
            f"below {_share_text(cfg.min_account_share)} of accounts and "
            f"{_share_text(cfg.min_revenue_share)} of revenue"
        )
        problems_zh.append(
            f"客户占比低于 {_share_text(cfg.min_account_share)} 且收入占比低于 "
            f"{_share_text(cfg.min_revenue_share)}"
        )
    if not profitable:
        problems_en.append(f"margin {segment_margin:,.0f} is not above 0")
        problems_zh.append(f"毛利 {segment_margin:,.0f} 不大于 0")
    return CheckResult(
        "substantial",
        "warn",
        Bilingual(
            f"too small: {size_en}; {'; '.join(problems_en)}",
            f"规模不足：{size_zh}；{'；'.join(problems_zh)}",
        ),
        figures,
    )


def _accessible(
    member: BoolArray, owner: BoolArray | None, contact: BoolArray | None, cfg: ValiditySettings
) -> CheckResult:
    if owner is None and contact is None:
        return CheckResult(
            "accessible",
            "not_checked",
            Bilingual("no owner or contact data given", "未提供负责人或联系人数据"),
            {},
        )
    figures: dict[str, float] = {}
    parts_en, parts_zh, short_en, short_zh = [], [], [], []
    for flags, key, least, what_en, what_zh in (
        (owner, "owner_share", cfg.min_owner_share, "have an owner", "有负责人"),
        (contact, "contact_share", cfg.min_contact_share, "have a contact", "有联系人"),
    ):
        if flags is None:
            continue
        share = float(flags[member].mean())
        figures[key] = share
        parts_en.append(f"{_share_text(share)} {what_en}")
        parts_zh.append(f"{_share_text(share)} {what_zh}")
        if share < least:
            short_en.append(f"{what_en}: {_share_text(share)} < {_share_text(least)}")
            short_zh.append(f"{what_zh}：{_share_text(share)} < {_share_text(least)}")
    if not short_en:
        reason = Bilingual(", ".join(parts_en), "，".join(parts_zh))
        return CheckResult("accessible", "pass", reason, figures)
    reason = Bilingual(f"hard to reach: {'; '.join(short_en)}", f"难以触达：{'；'.join(short_zh)}")
    return CheckResult("accessible", "warn", reason, figures)


def _kruskal_wallis(
    values: Mapping[str, FloatArray],
    labels: npt.NDArray[Any],
    segments: list[Any],
    cfg: ValiditySettings,
) -> tuple[MeasureDifference, ...]:
    """Kruskal & Wallis (1952) H per measure; epsilon-squared = H / (n - 1)."""
    out = []
    for measure, column in values.items():
        groups = [column[(labels == s) & ~np.isnan(column)] for s in segments]
        groups = [g for g in groups if g.size]
        n = sum(g.size for g in groups)
        if len(groups) < 2 or n < 3:
            continue
        try:
            h, p = stats.kruskal(*groups)
        except ValueError:  # every value identical: no difference at all
            h, p = 0.0, 1.0
        h, p = float(h), float(p)
        if not math.isfinite(h):
            h, p = 0.0, 1.0
        epsilon = h / (n - 1)
        differs = p < cfg.alpha and epsilon >= cfg.min_epsilon_squared
        out.append(MeasureDifference(measure, h, p, epsilon, differs))
    return tuple(out)


def _segment_differs(
    values: Mapping[str, FloatArray], member: BoolArray, cfg: ValiditySettings
) -> CheckResult:
    """Mann-Whitney U of the segment against the rest, per measure; the clearest counts."""
    tests = []  # (differs, |r|, measure, p, r)
    for measure, column in values.items():
        inside = column[member & ~np.isnan(column)]
        outside = column[~member & ~np.isnan(column)]
        if inside.size == 0 or outside.size == 0:
            continue
        u, p = stats.mannwhitneyu(inside, outside, alternative="two-sided")
        r = 2.0 * float(u) / (inside.size * outside.size) - 1.0
        p = float(p) if math.isfinite(float(p)) else 1.0
        differs = p < cfg.alpha and abs(r) >= cfg.min_rank_biserial
        tests.append((differs, abs(r), measure, p, r))
    if not tests:
        return CheckResult(
            "differentiable",
            "not_checked",
            Bilingual("no other accounts to compare with", "没有可比较的其他客户"),
            {},
        )
    ok, _, measure, p, r = max(tests, key=lambda t: (t[0], t[1]))
    figures = {"p_value": p, "rank_biserial": r}
    if ok:
        higher = r > 0
        reason = Bilingual(
            f"{measure} {'higher' if higher else 'lower'} than in the rest "
            f"(Mann-Whitney {_p_text(p)}, r = {r:.2f})",
            f"{measure} 明显{'高' if higher else '低'}于其他客户"
            f"（Mann-Whitney {_p_text(p)}，r = {r:.2f}）",
        )
    else:
        reason = Bilingual(
            f"no measure sets it apart from the rest: the clearest, {measure}, has "
            f"{_p_text(p)}, r = {r:.2f} (needs p < {cfg.alpha:g} and |r| >= "
            f"{cfg.min_rank_biserial:g})",
            f"没有指标能把它与其他客户区分开：差异最明显的 {measure} 也只有 {_p_text(p)}，"
            f"r = {r:.2f}（需要 p < {cfg.alpha:g} 且 |r| ≥ {cfg.min_rank_biserial:g}）",
        )
    return CheckResult("differentiable", "pass" if ok else "warn", reason, figures)


def _overall_differs(
    differences: tuple[MeasureDifference, ...], n_segments: int, cfg: ValiditySettings
) -> CheckResult:
    if n_segments < 2 or not differences:
        return CheckResult(
            "differentiable",
            "not_checked",
            Bilingual("needs two segments and a measure", "需要至少两个细分市场和一个指标"),
            {},
        )
    figures = {f"p_value[{d.measure}]": d.p_value for d in differences}
    figures.update({f"epsilon_squared[{d.measure}]": d.epsilon_squared for d in differences})
    shown_en = "; ".join(
        f"{d.measure}: H = {d.statistic:.2f}, {_p_text(d.p_value)}, ε² = {d.epsilon_squared:.3f}"
        for d in differences
    )
    differing = [d.measure for d in differences if d.differs]
    if differing:
        reason = Bilingual(
            f"segments differ on {', '.join(differing)} (Kruskal-Wallis: {shown_en})",
            f"各细分市场在 {'、'.join(differing)} 上差异显著（Kruskal-Wallis：{shown_en}）",
        )
        return CheckResult("differentiable", "pass", reason, figures)
    reason = Bilingual(
        f"segments do not differ on any measure (Kruskal-Wallis: {shown_en}; needs "
        f"p < {cfg.alpha:g} and ε² >= {cfg.min_epsilon_squared:g})",
        f"各细分市场在任何指标上都没有显著差异（Kruskal-Wallis：{shown_en}；需要 "
        f"p < {cfg.alpha:g} 且 ε² ≥ {cfg.min_epsilon_squared:g}）",
    )
    return CheckResult("differentiable", "warn", reason, figures)


def _segmentation_silhouette(
    accounts: pd.DataFrame,
    measures: list[str],
    categorical: list[str],
    labels: npt.NDArray[Any],
    segments: list[Any],
    cfg: ValiditySettings,
) -> tuple[float, dict[Any, float]]:
    """Mean silhouette and per-segment means, on a seeded sample stratified by segment."""
    if len(segments) < 2 or len(labels) < 3:
        return math.nan, {}
    matrix = prepare_features(accounts, numeric=measures, categorical=categorical).matrix
    rng = np.random.default_rng(cfg.random_state)
    n = len(labels)
    rows = []
    for s in segments:
        where = np.flatnonzero(labels == s)
        take = min(where.size, max(50, round(cfg.silhouette_sample * where.size / n)))
        rows.append(np.sort(rng.choice(where, size=take, replace=False)))
    sample = np.concatenate(rows)
    codes = np.asarray([segments.index(v) for v in labels[sample]])
    if np.unique(codes).size < 2 or np.unique(codes).size >= sample.size:
        return math.nan, {}
    scores = silhouette_samples(matrix[sample], codes)
    per_segment = {s: float(scores[codes == i].mean()) for i, s in enumerate(segments)}
    weights = np.asarray([np.count_nonzero(labels == s) for s in segments], dtype=np.float64)
    # Weighted back to the book's segment sizes (small segments were over-sampled).
    overall = float(np.dot(weights, [per_segment[s] for s in segments]) / weights.sum())
    return overall, per_segment


def _segment_homogeneous(silhouette: float, cfg: ValiditySettings) -> CheckResult:
    if not math.isfinite(silhouette):
        return CheckResult(
            "homogeneous",
            "not_checked",
            Bilingual("needs two segments", "需要至少两个细分市场"),
            {},
        )
    ok = silhouette > cfg.min_segment_silhouette
    figures = {"silhouette": silhouette}
    if ok:
        reason = Bilingual(
            f"members are closer to their own segment (silhouette {silhouette:.2f})",
            f"成员更接近本细分市场（轮廓系数 {silhouette:.2f}）",
        )
    else:
        reason = Bilingual(
            f"members are as close to another segment as to their own (silhouette "
            f"{silhouette:.2f}, needs > {cfg.min_segment_silhouette:g})",
            f"成员与其他细分市场的距离不比本细分市场远（轮廓系数 {silhouette:.2f}，"
            f"需要 > {cfg.min_segment_silhouette:g}）",
        )
    return CheckResult("homogeneous", "pass" if ok else "warn", reason, figures)


def _overall_homogeneous(silhouette: float, n_segments: int, cfg: ValiditySettings) -> CheckResult:
    if n_segments < 2 or not math.isfinite(silhouette):
        return _segment_homogeneous(math.nan, cfg)
    ok = silhouette >= cfg.min_silhouette
    reason = (
        Bilingual(
            f"mean silhouette {silhouette:.2f} (at least {cfg.min_silhouette:g})",
            f"平均轮廓系数 {silhouette:.2f}（不低于 {cfg.min_silhouette:g}）",
        )
        if ok
        else Bilingual(
            f"segments are not homogeneous inside: mean silhouette {silhouette:.2f} "
            f"(needs {cfg.min_silhouette:g})",
            f"细分市场内部不够同质：平均轮廓系数 {silhouette:.2f}（需要 {cfg.min_silhouette:g}）",
        )
    )
    return CheckResult(
        "homogeneous",
        "pass" if ok else "warn",
        reason,
        {"silhouette": silhouette, "min_silhouette": cfg.min_silhouette},
    )


def _all_segments(check: str, segments: list[SegmentChecks]) -> CheckResult:
    results = [(s.segment, s.checks[check]) for s in segments]
    if all(r.status == "not_checked" for _, r in results):
        return (
            results[0][1] if results else CheckResult(check, "not_checked", Bilingual("", ""), {})
        )
    failing = [str(s) for s, r in results if r.status == "warn"]
    figures = {"segments_warning": float(len(failing)), "segments": float(len(results))}
    if failing:
        reason = Bilingual(
            f"{len(failing)} of {len(results)} segments warn: {', '.join(failing)}",
            f"{len(results)} 个细分市场中有 {len(failing)} 个未通过：{'、'.join(failing)}",
        )
        return CheckResult(check, "warn", reason, figures)
    reason = Bilingual(f"all {len(results)} segments pass", f"全部 {len(results)} 个细分市场均通过")
    return CheckResult(check, "pass", reason, figures)


def _with_book_coverage(result: CheckResult, known: BoolArray) -> CheckResult:
    coverage = float(known.mean())
    return CheckResult(
        result.check,
        result.status,
        Bilingual(
            f"{result.reason.en} (book coverage {_share_text(coverage)})",
            f"{result.reason.zh}（整体覆盖率 {_share_text(coverage)}）",
        ),
        {**result.figures, "coverage": coverage},
    )

"""Settings come with defaults and load from YAML or JSON; a bad value names its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kam_analytics.config import (
    ConfigError,
    ScoreWeights,
    TierConfig,
    TierShares,
    ValueConfig,
    config_from_mapping,
    load_config,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_it_has_the_documented_defaults() -> None:
    config = ValueConfig()

    assert config.tiers.shares.as_dict() == {
        "diamond": 0.02,
        "core": 0.18,
        "potential": 0.30,
        "basic": 0.50,
    }
    assert config.tiers.measure == "clv"
    assert sum(config.weights.as_dict().values()) == pytest.approx(1.0)
    assert config.lifecycle.new_within_days == pytest.approx(182.625)
    assert config.trend.window_periods is None


def test_it_reads_yaml_and_keeps_defaults_for_the_rest(tmp_path: Path) -> None:
    file = write(
        tmp_path / "weights.yaml",
        """
weights:
  clv: 0.5
  volume: 0
tiers:
  measure: score
  shares: {diamond: 0.05, core: 0.15, potential: 0.3, basic: 0.5}
lifecycle:
  lost_p_alive: 0.05
trend:
  window_periods: 26
""",
    )
    config = load_config(file)

    assert config.weights.clv == 0.5
    assert config.weights.volume == 0
    assert config.weights.frequency == ScoreWeights().frequency
    assert config.tiers.measure == "score"
    assert config.tiers.shares.diamond == 0.05
    assert config.lifecycle.lost_p_alive == 0.05
    assert config.trend.window_periods == 26


def test_it_reads_json_and_round_trips(tmp_path: Path) -> None:
    original = ValueConfig(tiers=TierConfig(measure="revenue", currency_symbol="$"))
    file = write(tmp_path / "settings.json", json.dumps(original.to_dict()))

    assert load_config(file) == original


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path / "empty.yaml", "")) == ValueConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weights:\n  clv: high\n", "weights.clv must be a number >= 0; got 'high'"),
        ("weights:\n  clv: -1\n", "weights.clv must be a number >= 0; got -1"),
        ("weights:\n  clv: true\n", "weights.clv must be a number >= 0; got True"),
        ("weights:\n  colour: 1\n", "weights.colour is not a setting; expected one of volume"),
        (
            "tiers:\n  shares: {diamond: 0.1, core: 0.2, potential: 0.3, basic: 0.5}\n",
            "tiers.shares must sum to 1 (diamond + core + potential + basic); they sum to 1.1",
        ),
        ("tiers:\n  shares: {diamond: 1.5}\n", "tiers.shares.diamond must be a number >= 0"),
        ("tiers:\n  measure: profit\n", "tiers.measure must be one of clv, score, revenue"),
        ("tiers: 3\n", "tiers must be a mapping of names to values; got 3"),
        ("lifecycle:\n  growth_ratio: 0.9\n", "lifecycle.growth_ratio must be a number > 1"),
        (
            "lifecycle:\n  lost_p_alive: 0.6\n",
            "lifecycle.lost_p_alive (0.6) must not exceed lifecycle.declining_p_alive (0.5)",
        ),
        ("trend:\n  window_periods: 2.5\n", "trend.window_periods must be a whole number >= 1"),
        ("rfm_bins: 1\n", "rfm_bins must be a whole number from 2 to 100; got 1"),
        ("tier: {}\n", "tier is not a setting; expected one of weights, tiers"),
        (
            "weights:\n  volume: 0\n  frequency: 0\n  payment: 0\n  clv: 0\n  growth: 0\n"
            "  cooperation: 0\n  brand_influence: 0\n  industry_position: 0\n  market_share: 0\n",
            "weights: at least one weight must be > 0",
        ),
    ],
)
def test_it_names_the_key_and_what_it_expected(tmp_path: Path, text: str, message: str) -> None:
    file = write(tmp_path / "bad.yaml", text)

    with pytest.raises(ConfigError) as caught:
        load_config(file)

    assert str(caught.value).startswith(f"{file}: ")
    assert message in str(caught.value)


def test_it_explains_files_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"expected a \.yaml, \.yml or \.json settings file"):
        load_config(write(tmp_path / "weights.txt", "clv: 1"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(write(tmp_path / "broken.json", "{weights: }"))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path / "broken.yaml", "weights: [1,\n"))


def test_code_gets_the_same_checks_as_files() -> None:
    with pytest.raises(ConfigError, match=r"tiers\.shares must sum to 1"):
        TierShares(diamond=0.5)
    with pytest.raises(ConfigError, match=r"weights\.clv must be a number >= 0; got nan"):
        ScoreWeights(clv=float("nan"))
    with pytest.raises(ConfigError, match="the settings must be a mapping"):
        config_from_mapping([1, 2])

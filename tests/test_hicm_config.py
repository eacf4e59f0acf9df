"""Which measure evidences which High Impact Change is configuration (app/metrics/hicm.toml):
the shipped mapping, a local file replacing a change's entry, and the mistakes refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.domain.hicm import CHANGES
from app.metrics import hicm
from app.metrics.registry import METRICS


def test_the_shipped_mapping_covers_the_nine_changes_with_registry_measures() -> None:
    config = hicm.load_config()
    assert sorted(c.number for c in config.change) == list(range(1, 10))
    assert all(slug in METRICS for c in config.change for slug in c.measures)
    assert all(c.measures for c in config.change), "every change has at least one measure"
    # the examples (#15 item 7), change by change
    assert config.measures_of(1) == ["edd_within_2_days"]
    assert {"red_pct", "p1_waiting", "p3_waiting"} <= set(config.measures_of(2))
    assert config.measures_of(4) == ["pathway_0_1_pct", "pct_discharged_within_1_day"]
    assert config.measures_of(5) == ["weekend_discharge_rate"]
    assert config.measures_of(7) == ["choice_delayed_days"]
    assert {"p3_delayed_days", "care_home_vacancies"} <= set(config.measures_of(8))
    assert config.measures_of(9) == ["housing_delayed_days"]
    assert config.weeks == 26


def test_the_changes_are_the_models_own() -> None:
    assert [c.name for c in CHANGES] == [
        "Early discharge planning",
        "Monitoring and responding to system demand and capacity",
        "Multi-disciplinary working",
        "Home first",
        "Flexible working patterns",
        "Trusted assessment",
        "Engagement and choice",
        "Improved discharge to care homes",
        "Housing and related services",
    ]


def test_a_local_file_replaces_a_changes_entry(tmp_path: Path) -> None:
    local = tmp_path / "hicm.toml"
    local.write_text('weeks = 12\n[[change]]\nnumber = 5\nmeasures = ["discharges"]\n')
    config = hicm.load_config(local)
    assert config.weeks == 12
    assert config.measures_of(5) == ["discharges"]
    assert config.measures_of(9) == ["housing_delayed_days"]  # the others as shipped


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[change]]\nnumber = 5\nmeasures = ["no_such_metric"]\n', "no_such_metric"),
        ("[[change]]\nnumber = 10\nmeasures = []\n", "less than or equal to 9"),
        ('[[change]]\nnumber = 2\nlinks = [{label = "x", href = "https://e.g"}]\n', "href"),
        ("weeks = 1\n", "weeks"),
    ],
)
def test_mistakes_are_refused_naming_them(tmp_path: Path, text: str, says: str) -> None:
    local = tmp_path / "hicm.toml"
    local.write_text(text)
    with pytest.raises(ValidationError, match=says):
        hicm.load_config(local)


def test_a_change_missing_is_refused() -> None:
    data = {"change": [{"number": n, "measures": []} for n in range(1, 9)]}
    with pytest.raises(ValidationError, match="every change 1–9 exactly once"):
        hicm.HicmConfig.model_validate(data)

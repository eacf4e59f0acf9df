"""Local targets by pathway (DESIGN §4.11): the weekly measure among each pathway's
discharges, its XmR chart and the assurance icon against the configured target. Worked out by
hand below; times are Europe/London wall-clock.

Weeks (Mon–Sun): W1 16–22 Mar 2026 (the first census, no discharge), W2 23–29 Mar,
W3 30 Mar–5 Apr. Delay = discharge date − DRD in force at discharge.

    W2  P1: A DRD 23 Mar → 24 Mar (1), B DRD 23 Mar → 27 Mar (4), C DRD 26 Mar → 26 Mar (0)
        P2: H DRD 21 Mar → 27 Mar (6)
        P0: G no DRD → 25 Mar (on no pathway target)
    W3  P1: D DRD 30 Mar → 2 Apr (3), E DRD 31 Mar → 3 Apr (3)
        P2: F DRD 30 Mar → 5 Apr (6)

P1 mean delay: W2 (1 + 4 + 0) / 3 = 5/3, W3 3.0. P1 within one day: W2 2 of 3 = 66.7 %, W3 0 %.
P2 mean delay: 6.0 and 6.0. P3: no discharge, no value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics import pathway_targets
from dashboards import report
from tests.test_ingest_patients import apply, row

W1, W2, W3 = date(2026, 3, 22), date(2026, 3, 29), date(2026, 4, 5)
REASON = {1: "P1_HOMECARE", 2: "P2_BED", 3: "P3_NURSING"}
DISCHARGES = {  # spell: (pathway, DRD, discharged at)
    "A1": (1, "2026-03-23", "2026-03-24T11:00"),
    "A2": (1, "2026-03-23", "2026-03-27T11:00"),
    "A3": (1, "2026-03-26", "2026-03-26T15:00"),
    "A4": (2, "2026-03-21", "2026-03-27T12:00"),
    "A5": (0, "", "2026-03-25T12:00"),
    "A6": (1, "2026-03-30", "2026-04-02T10:00"),
    "A7": (1, "2026-03-31", "2026-04-03T10:00"),
    "A8": (2, "2026-03-30", "2026-04-05T10:00"),
}
CENSUSES = ("2026-03-16T09:00", "2026-03-23T09:00", "2026-03-30T09:00", "2026-04-06T09:00")

TARGETS = """
[[targets]]
slug = "p1_tight"
measure = "mean_delay_days"
pathway = 1
comparison = "at_most"
value = 2.0

[[targets]]
slug = "p1_loose"
measure = "mean_delay_days"
pathway = 1
comparison = "at_most"
value = 6.0

[[targets]]
slug = "p2_delay"
measure = "mean_delay_days"
pathway = 2
comparison = "at_most"
value = 4.0

[[targets]]
slug = "p1_within"
measure = "pct_within_1_day"
pathway = 1
comparison = "at_least"
value = 60.0

[[targets]]
slug = "p3_delay"
measure = "mean_delay_days"
pathway = 3
comparison = "at_most"
value = 7.0
"""


def _load(session: Session) -> None:
    for previous, snapshot in zip(("", *CENSUSES), CENSUSES, strict=False):
        rows = [row("L1", snapshot, admitted="2026-03-01T10:00", pathway=0)]
        for spell_id, (pathway, drd, discharged) in DISCHARGES.items():
            if previous < discharged <= snapshot:
                extra = {"discharge_ready_date": drd, "delay_reason_code": REASON.get(pathway)}
                rows.append(
                    row(
                        spell_id,
                        snapshot,
                        admitted="2026-03-10T10:00",
                        pathway=pathway,
                        discharged_at=discharged,
                        discharge_destination="usual_residence",
                        **(extra if drd else {}),
                    )
                )
        apply(session, rows)


@pytest.fixture
def targets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    monkeypatch.setenv("HOMEWARD_PATHWAY_TARGETS_FILE", str(path))
    get_settings.cache_clear()


def test_each_target_is_measured_on_its_pathway(session: Session, targets_file: None) -> None:
    _load(session)
    found = {t.metric.slug: t for t in pathway_targets.weekly(session, weeks=3, site=None, end=W3)}
    values = {slug: [p.value for p in t.points] for slug, t in found.items()}
    assert values["pathway_target_p1_tight"] == [None, pytest.approx(5 / 3), 3.0]
    assert values["pathway_target_p2_delay"] == [None, 6.0, 6.0]
    assert values["pathway_target_p1_within"] == [None, pytest.approx(200 / 3), 0.0]
    assert values["pathway_target_p3_delay"] == [None, None, None]


def test_the_assurance_icons(session: Session, targets_file: None) -> None:
    _load(session)
    icons = {
        t.metric.slug: t.assurance_icon
        for t in pathway_targets.weekly(session, weeks=3, site=None, end=W3)
    }
    # P1 mean delay: mean (5/3 + 3) / 2 = 7/3, mR̄ 4/3, limits 7/3 ± 3.547 → 0 (bound) … 5.88
    assert icons["pathway_target_p1_tight"] == "hit_and_miss"  # 2 between the limits
    assert icons["pathway_target_p1_loose"] == "pass"  # 6 ≥ the upper limit 5.88
    # P2: 6, 6 → mR̄ 0, both limits 6; a target of 4 below the lower limit can never be met
    assert icons["pathway_target_p2_delay"] == "fail"
    # within one day: mean 33.3, mR̄ 66.7, limits drawn at 0 and 100; 60 between: hit and miss
    assert icons["pathway_target_p1_within"] == "hit_and_miss"
    assert icons["pathway_target_p3_delay"] == "none"  # no value, no limits


def test_the_shipped_targets() -> None:
    get_settings.cache_clear()
    shipped = {t.slug: t for t in pathway_targets.configured_targets().targets}
    p1 = shipped["p1_mean_delay"]
    assert (p1.pathway, p1.comparison, p1.value) == (1, "at_most", 2.0)
    within = shipped["p1_within_1_day"]
    assert (within.measure, within.comparison, within.value) == ("pct_within_1_day", "at_least", 60)
    assert p1.info().direction == "decrease" and within.info().direction == "increase"


def test_a_bad_targets_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(TARGETS.replace("value = 60.0", "value = 160.0"), encoding="utf-8")
    with pytest.raises(ValueError, match="within 0–100"):
        pathway_targets.load_targets(path)


def test_the_report_shows_each_target_with_its_icons(session: Session, targets_file: None) -> None:
    _load(session)
    rows = report.target_rows(pathway_targets.weekly(session, weeks=3, site=None, end=W3))
    tight = next(r for r in rows if r.slug == "pathway_target_p1_tight")
    assert tight.latest.startswith("3 days")
    assert tight.target == "≤ 2 days"
    assert tight.assurance.words == report.icons.assurance("hit_and_miss").words
    document = report.build_html(
        title="t",
        subtitle="s",
        charts=[],
        changes=[],
        tables=[],
        generated_at=datetime(2026, 4, 6, tzinfo=UTC),
        targets=rows,
    )
    assert "<h2>Local targets by pathway</h2>" in document
    assert "Pathway 2 (rehabilitation or community bed): mean delay" in document
    assert document.count("<tr><td>Pathway") == 5

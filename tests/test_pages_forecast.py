"""The forecast on the pages: what the wall tile, the forecast page, the "Coming days" section
and the offline report show of hand-made forecasting results.

The forecasting module's answers are written here by hand (its maths is tested with the
module); these tests prove the pages show *its* numbers, in the right places, always labelled
"Forecast" with the band — and that the what-if controls ask it the right question. The page
tests run on SQLite and PostgreSQL (the filters and the recorded days read the store).

The hand-made forecast, from Wed 18 Nov 2026 (origin D), for all councils and for one council:

    pathway  NCtR now  day   NCtR in hospital P10/P50/P90   capacity P50   gap P10/P50/P90
    P1       20        Thu   18 / 22 / 27                   14             4 / 8 / 13
                       Fri   19 / 24 / 31                   14             5 / 10 / 17
                       Sat   17 / 23 / 33                   10             7 / 13 / 23
    P3        4        Thu    3 /  4 /  6                    9            −6 / −5 / −3
                       Fri    3 /  5 /  7                    9            −6 / −4 / −2
                       Sat    2 /  5 /  8                    9            −7 / −4 / −1
    worst gap: P1 Sat 21 Nov, 13 short; P3 Fri 20 Nov, 4 spare (the module says so)

Recorded days the module carries (NCtR in hospital at the end of Mon 16 and Tue 17 Nov): all
councils P1 17, 19 and P3 3, 4; the council's own P1 6, 8.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

import plotly.graph_objects as go
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import forecast
from app.metrics.forecast.schemas import (
    Band,
    CensusToday,
    Forecast,
    ForecastDay,
    PathwayForecast,
    RecordedDay,
    WhatIfDay,
    WhatIfPathway,
    WhatIfRequest,
    WhatIfResult,
)
from dashboards import forecast_figures, forecast_view, report
from dashboards.app import create_dash

ORIGIN = date(2026, 11, 18)  # a Wednesday
AS_OF = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # 09:00 GMT = 09:00 in London in November
COUNCIL = "E06000901"

P1_DAYS = [
    ((18, 22, 27), 14, (4, 8, 13)),
    ((19, 24, 31), 14, (5, 10, 17)),
    ((17, 23, 33), 10, (7, 13, 23)),
]
P3_DAYS = [((3, 4, 6), 9, (-6, -5, -3)), ((3, 5, 7), 9, (-6, -4, -2)), ((2, 5, 8), 9, (-7, -4, -1))]


def _band(values: tuple[float, float, float]) -> Band:
    return Band(p10=values[0], p50=values[1], p90=values[2])


def _pathway(
    pathway: int,
    now: int,
    rows: list[tuple[tuple[int, int, int], int, tuple[int, int, int]]],
    worst: int,
    council: str | None,
    recorded: tuple[int, int] = (0, 0),
) -> PathwayForecast:
    days = [
        ForecastDay(
            day=ORIGIN + timedelta(days=h),
            horizon=h,
            new_nctr=_band((1, 2, 3)),
            discharges=_band((1, 2, 3)),
            nctr_in_hospital=_band(queue),
            capacity_expected=_band((capacity, capacity, capacity)),
            gap=_band(gap),
            days_beyond_drd=_band((1, 2, 3)),
            bed_days_lost=_band((1, 2, 3)),
        )
        for h, (queue, capacity, gap) in enumerate(rows, start=1)
    ]
    return PathwayForecast(
        pathway=pathway,  # type: ignore[arg-type]
        local_authority=council,
        council_name="Marlbridge City Council" if council else None,
        today=CensusToday(
            nctr_in_hospital=now,
            days_waiting={},
            mean_days_waiting=None,
            not_yet_ready=0,
            expected_discharge_dates={},
        ),
        history=[
            RecordedDay(day=ORIGIN - timedelta(days=2 - i), nctr_in_hospital=n)
            for i, n in enumerate(recorded)
        ],
        days=days,
        worst_gap_day=ORIGIN + timedelta(days=worst),
        worst_gap=days[worst - 1].gap,
    )


ASKED: list[dict[str, Any]] = []  # what the pages asked the fake module, newest last


def hand_forecast(_session: Any = None, **asked: Any) -> Forecast:
    ASKED.append(asked)
    pathways = [
        _pathway(1, 20, P1_DAYS, 3, None, (17, 19)),
        _pathway(3, 4, P3_DAYS, 2, None, (3, 4)),
        # the council's own forecast: other numbers, to show the filter picks them
        _pathway(1, 7, [((5, 6, 9), 3, (2, 3, 6))] * 3, 1, COUNCIL, (6, 8)),
    ]
    return Forecast(
        as_of=AS_OF,
        origin=ORIGIN,
        days=3,
        site=None,
        local_authority=None,
        history_days=120,
        simulations=500,
        seed=1,
        method="hand-made for the test",
        pathways=pathways,
    )


def _what_if_days(queues: list[tuple[int, int, int]]) -> list[WhatIfDay]:
    return [
        WhatIfDay(
            day=ORIGIN + timedelta(days=h),
            horizon=h,
            discharges=_band((1, 2, 3)),
            nctr_in_hospital=_band(queue),
            days_beyond_drd=_band((1, 2, 3)),
            bed_days_lost=_band((1, 2, 3)),
        )
        for h, queue in enumerate(queues, start=1)
    ]


class FakeWhatIf:
    """The module's what-if, remembering what it was asked. With no change the scenario is the
    baseline (as the module promises: the same random draws); with +N home-care starts the P1
    queue on the last day is 23 − N at the P50 (a number chosen for the test)."""

    def __init__(self) -> None:
        self.requests: list[WhatIfRequest] = []

    def __call__(self, _session: Any, request: Any, **_kw: Any) -> WhatIfResult:
        request = WhatIfRequest.model_validate(request)  # the module takes the JSON form too
        self.requests.append(request)
        extra = sum(c.amount for c in request.changes if c.kind == "home_care_starts")
        baseline = _what_if_days([(18, 22, 27), (19, 24, 31), (17, 23, 33)])
        scenario = _what_if_days([(18, 22, 27), (19, 24, 31), (17 - extra, 23 - extra, 33 - extra)])
        return WhatIfResult(
            as_of=AS_OF,
            origin=ORIGIN,
            days=3,
            request=request,
            simulations=500,
            seed=1,
            method="hand-made",
            pathways=[
                WhatIfPathway(
                    pathway=1,
                    local_authority=None,
                    baseline=baseline,
                    scenario=scenario,
                    bed_days_lost_baseline=_band((60, 70, 85)),
                    bed_days_lost_scenario=_band((60 - extra, 70 - extra, 85 - extra)),
                    bed_days_saved=_band((0, extra, extra)),
                )
            ],
        )


# --- words ---------------------------------------------------------------------------------


def test_bands_and_gaps_are_written_in_words() -> None:
    assert forecast_view.band_words(Band(p10=18, p50=22, p90=27)) == "P10–P90: 18 to 27"
    assert forecast_view.gap_words(Band(p10=7, p50=13, p90=23)) == "13 short"
    assert forecast_view.gap_words(Band(p10=-6, p50=-4, p90=-2)) == "4 spare"
    assert forecast_view.gap_words(Band(p10=-1, p50=0.4, p90=2)) == "0: just enough"
    assert forecast_view.gap_words(None) == "no capacity data"


def test_the_wall_tile_shows_each_pathways_p50_band_and_worst_gap_day() -> None:
    rows = forecast_view.tile_rows(hand_forecast())
    # all councils together only: the council's own line is not mixed in
    assert [r.pathway for r in rows] == [1, 3]
    p1, p3 = rows
    # the last day (Sat 21 Nov) P50 and band; NCtR now from today's census
    assert (p1.now, p1.p50, p1.band) == ("20", "23", "P10–P90: 17 to 33")
    assert (p1.worst_day, p1.worst_gap, p1.short) == (
        "Sat 21 Nov",
        "13 short (P10–P90: 7 to 23)",
        True,
    )
    assert (p3.worst_day, p3.worst_gap, p3.short) == (
        "Fri 20 Nov",
        "4 spare (P10–P90: −6 to −2)",
        False,
    )


def test_a_pathway_without_a_gap_says_why() -> None:
    result = hand_forecast()
    no_gap = {"worst_gap_day": None, "worst_gap": None}
    p0 = _pathway(0, 117, P3_DAYS, 1, None).model_copy(update=no_gap)
    p1 = result.pathways[0].model_copy(update=no_gap)
    rows = forecast_view.tile_rows(result.model_copy(update={"pathways": [p0, p1]}))
    assert [(r.worst_day, r.worst_gap, r.short) for r in rows] == [
        ("–", "no new support needed", None),  # P0: home, no capacity out of hospital
        ("–", "no capacity forecast", None),  # P1 needs home care, but none was forecast
    ]


def test_the_council_filter_picks_the_councils_own_forecast() -> None:
    rows = forecast_view.tile_rows(hand_forecast(), local_authority=COUNCIL)
    assert [(r.pathway, r.now, r.p50) for r in rows] == [(1, "7", "6")]


def test_coming_days_list_every_day_with_its_band() -> None:
    pathways = forecast_view.coming_days(hand_forecast())
    assert [p.name for p in pathways] == ["P1: home with new support", "P3: care home"]
    p1 = pathways[0]
    assert p1.worst == "worst gap Sat 21 Nov: 13 short"
    assert [(d.day, d.p50, d.band, d.gap) for d in p1.days] == [
        ("Thu 19 Nov", "22", "P10–P90: 18 to 27", "8 short"),
        ("Fri 20 Nov", "24", "P10–P90: 19 to 31", "10 short"),
        ("Sat 21 Nov", "23", "P10–P90: 17 to 33", "13 short"),
    ]


def test_the_offline_report_has_a_coming_days_section_labelled_forecast() -> None:
    section = forecast_view.coming_days_html(hand_forecast())
    document = report.build_html(
        title="Weekly",
        subtitle="Week",
        charts=[],
        changes=[],
        tables=[],
        generated_at=AS_OF,
        coming_days=section,
    )
    assert "<h2>Coming days <span class='forecast-label'>Forecast</span></h2>" in document
    assert "<td>Sat 21 Nov</td><td class='num'>23</td><td>P10–P90: 17 to 33</td>" in document
    assert "Forecast: P3: care home: 4 NCtR now; worst gap Fri 20 Nov: 4 spare" in document
    # without a forecast the section says so, and the rest of the report stands
    assert "cannot be shown" in forecast_view.coming_days_html(None)


# --- the fan chart -------------------------------------------------------------------------


def _traces(fig: go.Figure) -> dict[str, Any]:
    return {trace.name: trace for trace in fig.data}


def test_the_fan_chart_draws_history_solid_and_the_forecast_dashed_in_its_band() -> None:
    pathway = hand_forecast().pathways[0]
    fig = forecast_view.fan_figure(pathway)  # the recorded days the forecast carries
    traces = _traces(fig)
    history = traces["Recorded"]
    assert list(history.x) == [date(2026, 11, 16), date(2026, 11, 17)]
    assert list(history.y) == [17, 19] and history.line.dash is None  # a fact: solid
    median = traces["Forecast: P50"]
    assert list(median.y) == [22, 24, 23] and median.line.dash == "dash"
    upper, lower = traces["Forecast P90"], traces["Forecast: P10–P90 band"]
    assert list(upper.y) == [27, 31, 33] and list(lower.y) == [18, 19, 17]
    assert lower.fill == "tonexty"  # the band is shaded between P10 and P90
    # the forecast days sit in a region headed "Forecast"
    assert [a.text for a in fig.layout.annotations] == ["Forecast"]
    shape = fig.layout.shapes[0]
    assert (shape.x0, shape.x1) == (date(2026, 11, 19), date(2026, 11, 21))


def test_the_what_if_chart_shows_baseline_and_scenario_each_with_a_band() -> None:
    result = FakeWhatIf()(None, WhatIfRequest())
    fig = forecast_view.what_if_figure(result.pathways[0])
    names = [trace.name for trace in fig.data]
    assert "Baseline forecast: P10–P90 band" in names
    assert "What-if forecast: P10–P90 band" in names
    scenario = _traces(fig)["What-if forecast: P50"]
    assert scenario.line.dash == "dot"


def test_an_empty_forecast_draws_no_forecast_region() -> None:
    fig = forecast_figures.fan_chart(
        history_days=[], history_values=[], forecasts=[], title=None, y_title="Patients"
    )
    assert not fig.layout.shapes and not fig.data


# --- the page, on both databases -------------------------------------------------------------


def _text(component: Any) -> str:
    """Every string in a Dash component tree, in order."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return _text(children)


def _find(component: Any, component_id: Any) -> Any:
    if isinstance(component, list | tuple):
        for child in component:
            found = _find(child, component_id)
            if found is not None:
                return found
        return None
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    return _find(children, component_id) if children is not None else None


@pytest.fixture
def page() -> ModuleType:
    """The /forecast page module, as the Dash app loads it (pages register with an app)."""
    create_dash(FastAPI())
    return sys.modules["dashboards.pages.forecast"]


@pytest.fixture
def hand_module(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> FakeWhatIf:
    """The forecasting module answering with the hand-made results (the store is empty)."""
    fake = FakeWhatIf()
    monkeypatch.setattr(forecast, "pathway_forecast", hand_forecast)
    monkeypatch.setattr(forecast, "what_if", fake)
    return fake


def test_the_forecast_page_shows_a_fan_chart_per_pathway_labelled_forecast(
    page: ModuleType,
    hand_module: FakeWhatIf,
) -> None:
    tree = page.layout()
    text = _text(tree)
    assert "Forecast: the next ten days" in text
    assert "Forecast from the census of 09:00 Wed 18 Nov; day 1 is Thu 19 Nov." in text
    # what "capacity expected" is, and why it is not the capacity page's number now
    capacity = _text(_find(tree, "fc-capacity-words"))
    assert "capacity page's supply (DESIGN.md §4.7" in capacity
    assert "7-day stock of packages, not the starts of one day" in capacity
    for pathway in (1, 3):
        panel = _find(tree, f"fc-pathway-{pathway}")
        assert panel is not None, f"no panel for P{pathway}"
        assert "Forecast" in _text(panel)
        graph = _find(panel, {"type": "fc-fan", "pathway": str(pathway)})
        names = [trace.name for trace in graph.figure.data]
        assert "Forecast: P10–P90 band" in names and "Forecast: P50" in names
    assert "Worst gap Sat 21 Nov: 13 short (P10–P90: 7 to 23)" in _text(_find(tree, "fc-pathway-1"))
    # all councils: each pathway's recorded days drawn solid before its forecast
    for pathway, recorded in ((1, [17, 19]), (3, [3, 4])):
        graph = _find(tree, {"type": "fc-fan", "pathway": str(pathway)})
        traces = _traces(graph.figure)
        assert list(traces["Recorded"].y) == recorded


def test_the_council_filter_redraws_with_the_councils_forecast(
    page: ModuleType, hand_module: FakeWhatIf
) -> None:
    content, query = page.choose(COUNCIL, "", {"at": None})
    assert ASKED[-1] == {
        "days": forecast.MAX_DAYS,
        "site": None,
        "local_authority": COUNCIL,
        "as_of": None,
    }
    assert query == f"?council={COUNCIL}"
    assert _find(content, "fc-pathway-1") is not None
    assert _find(content, "fc-pathway-3") is None  # the council's forecast has P1 only
    assert "7 NCtR in hospital now." in _text(content)
    # the council's own recorded days (6, 8), not all councils' (17, 19)
    graph = _find(content, {"type": "fc-fan", "pathway": "1"})
    assert list(_traces(graph.figure)["Recorded"].y) == [6, 8]
    assert "the council's own patients" in _text(content)


def test_the_what_if_asks_the_module_and_shows_the_scenario_beside_the_baseline(
    page: ModuleType,
    hand_module: FakeWhatIf,
) -> None:
    # +5 home-care starts a day from Fri 20 Nov, for one council
    shown = page.run_what_if(5, 0, 0, "2026-11-20", COUNCIL, "", {"at": None})
    request = hand_module.requests[-1]
    assert request.local_authority == COUNCIL and request.days == forecast.MAX_DAYS
    home_care = next(c for c in request.changes if c.kind == "home_care_starts")
    assert (home_care.amount, home_care.from_date, home_care.local_authority) == (
        5,
        date(2026, 11, 20),
        COUNCIL,
    )
    assert {c.kind: c.amount for c in request.changes} == {
        "home_care_starts": 5,
        "community_beds": 0,
        "care_home_vacancies": 0,
    }
    # the fake's council has no what-if pathway: nothing to show for it
    assert _find(shown, "fc-wi-1-scenario-queue") is None
    # all councils: the last day's P1 queue is 23 at baseline, 23 − 5 = 18 with the change
    shown = page.run_what_if(5, 0, 0, "2026-11-20", "", "", {"at": None})
    assert _text(_find(shown, "fc-wi-1-baseline-queue")) == "23"
    assert _text(_find(shown, "fc-wi-1-scenario-queue")) == "18"
    assert _text(_find(shown, "fc-wi-1-saved")) == "5"
    # no change: the scenario's numbers are the baseline's
    shown = page.run_what_if(0, 0, 0, "2026-11-20", "", "", {"at": None})
    assert _text(_find(shown, "fc-wi-1-scenario-queue")) == "23"
    assert (
        _text(_find(shown, "fc-wi-1-scenario-lost"))
        == _text(_find(shown, "fc-wi-1-baseline-lost"))
        == "70"
    )
    # an empty or invalid control is no change
    page.run_what_if(None, "x", 0, None, "", "", {"at": None})
    assert {c.amount for c in hand_module.requests[-1].changes} == {0}


def test_the_wall_tile_says_forecast_and_shows_each_band(hand_module: FakeWhatIf) -> None:
    tile = forecast_view.wall_tile()
    text = _text(tile)
    assert "Next 7 days" in text and "Forecast" in text
    assert "P10–P90: 17 to 33" in text and "Sat 21 Nov" in text


def test_a_failing_forecast_leaves_the_wall_standing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: Any, **_k: Any) -> Forecast:
        raise RuntimeError("no history")

    monkeypatch.setattr(forecast, "pathway_forecast", broken)
    text = _text(forecast_view.wall_tile())
    assert "Next 7 days" in text and "cannot be shown just now" in text


def test_the_weekly_report_gathers_the_coming_days_and_stands_without_them(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards import weekly_view

    monkeypatch.setattr(forecast, "pathway_forecast", hand_forecast)
    data = weekly_view.gather(session, week_end=date(2026, 11, 15), site=None, weeks=12)
    assert data.coming_days is not None
    assert ASKED[-1]["days"] == forecast.MAX_DAYS and ASKED[-1]["site"] is None
    section = forecast_view.coming_days_section(data.coming_days)
    assert "Coming days" in _text(section) and "Sat 21 Nov" in _text(section)
    # the CSV's gather asks no forecast
    asked = len(ASKED)
    weekly_view.gather(session, week_end=date(2026, 11, 15), site=None, weeks=1, with_trends=False)
    assert len(ASKED) == asked

    def broken(*_a: Any, **_k: Any) -> Forecast:
        raise RuntimeError("no history")

    monkeypatch.setattr(forecast, "pathway_forecast", broken)
    data = weekly_view.gather(session, week_end=date(2026, 11, 8), site=None, weeks=12)
    assert data.coming_days is None and data.tables  # the report stands
    assert "cannot be shown just now" in _text(forecast_view.coming_days_section(None))


def test_the_pages_call_the_real_module_by_its_contract(session: Session, page: ModuleType) -> None:
    """No fake: the page, the tile, the what-if and the coming days on an empty store, through
    the forecasting module itself. Nobody is in hospital, so every pathway has 0 NCtR now."""
    tree = page.layout()
    for pathway in (0, 1, 2, 3):
        panel = _find(tree, f"fc-pathway-{pathway}")
        assert panel is not None, f"no panel for P{pathway}"
        assert "0 NCtR in hospital now." in _text(panel)
    shown = page.run_what_if(5, 2, 1, None, forecast_view.ALL, forecast_view.ALL, {"at": None})
    for pathway in (1, 2, 3):
        assert _find(shown, f"fc-wi-{pathway}-scenario-queue") is not None
    assert "Next 7 days" in _text(forecast_view.wall_tile())
    assert "Forecast from the census" in _text(
        forecast_view.coming_days_section(
            forecast_view.pathway_forecast(session, days=forecast.MAX_DAYS)
        )
    )


def test_a_hand_made_callback_for_an_unknown_council_is_refused_with_422(
    session: Session, page: ModuleType
) -> None:
    from starlette.exceptions import HTTPException

    with pytest.raises(HTTPException) as refused:
        page.choose("E99999999", forecast_view.ALL, {"at": None})
    assert refused.value.status_code == 422 and "E99999999" in str(refused.value.detail)
    with pytest.raises(HTTPException):
        page.run_what_if(1, 0, 0, None, forecast_view.ALL, "NOPE", {"at": None})

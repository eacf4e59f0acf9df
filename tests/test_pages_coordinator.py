"""The coordinator's filters read from the address and written back to it."""

from __future__ import annotations

from urllib.parse import parse_qs

from dashboards.coordinator_view import ALL, Filters


def test_filters_round_trip_through_the_query_string() -> None:
    filters = Filters.read(
        {"site": "RXA01", "ward": "RXA01/AMU", "pathway": "3", "min_days": "7", "at": "2026-11-16"}
    )
    query = parse_qs(filters.query_string()[1:])
    assert query == {
        "site": ["RXA01"],
        "ward": ["RXA01/AMU"],
        "pathway": ["3"],
        "min_days": ["7"],
        "at": ["2026-11-16"],
    }
    assert Filters.read({k: v[0] for k, v in query.items()}) == filters


def test_no_filter_means_no_query_string() -> None:
    assert Filters.read({}).query_string() == ""
    assert Filters.read({"site": ALL, "council": ALL, "pathway": ""}).query_string() == ""


def test_invalid_values_are_ignored() -> None:
    filters = Filters.read(
        {"pathway": "7", "agency": "nobody", "min_days": "-3", "ward": "AMU", "site": "RXA01"}
    )
    assert filters == Filters(site="RXA01")
    assert Filters.read({"min_days": "lots"}).min_days is None


def test_a_ward_of_another_site_is_dropped() -> None:
    assert Filters.read({"site": "RXB01", "ward": "RXA01/AMU"}).ward == ""
    assert Filters.read({"ward": "RXA01/AMU"}).ward == "RXA01/AMU"


def test_the_nhs_england_ask_presets_are_kept_in_the_address() -> None:
    assert Filters.read({"ask": "internal_48h"}).query_string() == "?ask=internal_48h"
    assert Filters.read({"ask": "beyond_21"}).ask == "beyond_21"
    assert Filters.read({"ask": "everything"}).ask == ""

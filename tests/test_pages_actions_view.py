"""The wall's actions strip without a browser: what it says for no actions, a few, and more
organisations than fit one line (hand-made numbers; the counts are the metric's)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.metrics.schemas import ActionsByOrganisation, OrganisationActions
from dashboards import actions_view


def _text(component: Any) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return _text(children) if children is not None else ""


def _org(code: str, open_: int, overdue: int, titles: list[str] | None = None) -> Any:
    return OrganisationActions(
        kind="council", code=code, name=f"Council {code}", open=open_, overdue=overdue,
        overdue_titles=titles or [],
    )  # fmt: skip


def test_no_open_actions_says_so() -> None:
    data = ActionsByOrganisation(today=date(2026, 11, 2), open=0, overdue=0, organisations=[])
    assert actions_view._heading(data) == "Actions: 0 open, 0 overdue"
    assert _text(actions_view._body(data)) == "No open actions."


def test_counts_titles_and_the_organisations_beyond_five() -> None:
    orgs = [_org("A", 3, 2, ["Fix the P1 rota", "Book the step-down beds"])] + [
        _org(str(i), 1, 0) for i in range(6)
    ]
    data = ActionsByOrganisation(today=date(2026, 11, 2), open=9, overdue=2, organisations=orgs)
    text = _text(actions_view._body(data))
    assert "Council A 3 open 2 overdue" in text
    assert "Council 3 1 open" in text and "Council 4" not in text  # five shown
    assert "+2 more (2 open)" in text
    assert "Overdue:  Fix the P1 rota · Book the step-down beds" in text

"""The grid of delayed patients (coordinator and ward pages): patient-level, never on the wall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag

from app.metrics.schemas import DelayedPatient
from dashboards import formats

CSV_FILE_NAME = "homeward-delayed-patients.csv"
AGENCY_SHORT = {"nhs": "NHS", "social_care": "Social care", "both": "Both"}


def rows(patients: Sequence[DelayedPatient]) -> list[dict[str, Any]]:
    """Grid rows: dates as ISO text (sorts correctly), words for codes."""
    return [
        {
            "spell_id": p.spell_id,
            "local_patient_id": p.local_patient_id,
            "site": p.site,
            "site_name": p.site_name or p.site,
            "ward": p.ward_name,
            "age": p.age,
            "admitted": formats.local(p.admitted_at).date().isoformat(),
            "edd": p.expected_discharge_date.isoformat() if p.expected_discharge_date else None,
            "drd": p.discharge_ready_date.isoformat(),
            "days_beyond_drd": p.days_beyond_drd,
            "pathway": formats.pathway(p.pathway),
            "reason": p.delay_reason.label if p.delay_reason else "Not recorded",
            "reason_code": p.delay_reason.code if p.delay_reason else None,
            "contributing": "; ".join(r.label for r in p.contributing_reasons) or None,
            "agency": AGENCY_SHORT.get(p.agency or "", "Not recorded"),
            "council": p.local_authority_name or p.local_authority or "Not recorded",
            "red_days": p.red_days,
            "internal_days": p.internal_days,
        }
        for p in patients
    ]


#: long words wrap inside their cell (the row grows) instead of being cut
WRAPPED = {"wrapText": True, "autoHeight": True, "cellClass": "hw-cell-wrap"}


def column_defs(at_query: str = "", *, hide: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The grid's columns; ``hide`` drops fields a page already states (the ward page's ward)."""
    number = {"type": "numericColumn"}
    # what the coordinator acts on comes first, beside the pinned spell: on a tablet or a
    # phone those columns are the ones in view, the rest a scroll of the grid away
    columns: list[dict[str, Any]] = [
        {
            "field": "spell_id",
            "headerName": "Spell",
            "cellRenderer": "PageLink",
            "cellRendererParams": {
                "prefix": "/patient/",
                "suffix": at_query,
                "ariaPrefix": "Journey of spell",
            },
            "pinned": "left",
            "width": 145,
            "minWidth": 145,
            "flex": 0,
        },
        {
            "field": "days_beyond_drd",
            "headerName": "Days beyond ready date",
            "sort": "desc",
            "width": 112,
            "flex": 0,
            **number,
        },
        {"field": "pathway", "headerName": "Pathway", "width": 95, "flex": 0},
        {
            "field": "reason",
            "headerName": "Waiting for (reason)",
            "minWidth": 240,
            "flex": 3,
            **WRAPPED,
        },
        {
            "field": "contributing",
            "headerName": "Also held up by",
            "minWidth": 180,
            "flex": 2,
            **WRAPPED,
        },
        {"field": "agency", "headerName": "Who must act", "minWidth": 110, **WRAPPED},
        {
            "field": "internal_days",
            "headerName": "Internal days",
            "width": 100,
            "flex": 0,
            **number,
        },
        {"field": "site_name", "headerName": "Site", "minWidth": 150, **WRAPPED},
        {"field": "ward", "headerName": "Ward", "minWidth": 120, **WRAPPED},
        {"field": "council", "headerName": "Council", "minWidth": 170, "flex": 2, **WRAPPED},
        {"field": "local_patient_id", "headerName": "Local patient id", "minWidth": 130},
        {"field": "age", "headerName": "Age", "width": 75, "flex": 0, **number},
        {"field": "admitted", "headerName": "Admitted", "minWidth": 110},
        {"field": "edd", "headerName": "Expected discharge", "minWidth": 110},
        {"field": "drd", "headerName": "Discharge ready", "minWidth": 110},
        {
            "field": "red_days",
            "headerName": "Red days",
            "cellRenderer": "RedDays",
            "minWidth": 125,
            **number,
        },
    ]
    return [column for column in columns if column["field"] not in hide]


def grid(
    patients: Sequence[DelayedPatient],
    *,
    grid_id: str,
    at_query: str = "",
    height: str = "auto",
    hide: Sequence[str] = (),
) -> dag.AgGrid:
    """A sortable grid, longest wait first; the first column links to the patient's journey."""
    options: dict[str, Any] = {
        "ensureDomOrder": True,
        "enableCellTextSelection": True,
        "localeText": {
            "noRowsToShow": "No patient matches: every patient here meets the criteria to "
            "reside, or the filters exclude them all."
        },
        "pagination": len(patients) > 100,
        "paginationPageSize": 100,
    }
    if height == "auto":
        options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=grid_id,
        rowData=rows(patients),
        columnDefs=column_defs(at_query, hide=hide),
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": False,
            "flex": 1,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions=options,
        getRowId="params.data.spell_id",
        csvExportParams={"fileName": CSV_FILE_NAME},
        style={"height": None if height == "auto" else height},
    )

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
            "ward": p.ward_name,
            "age": p.age,
            "admitted": formats.local(p.admitted_at).date().isoformat(),
            "edd": p.expected_discharge_date.isoformat() if p.expected_discharge_date else None,
            "drd": p.discharge_ready_date.isoformat(),
            "days_beyond_drd": p.days_beyond_drd,
            "pathway": formats.pathway(p.pathway),
            "reason": p.delay_reason.label if p.delay_reason else "Not recorded",
            "reason_code": p.delay_reason.code if p.delay_reason else None,
            "agency": AGENCY_SHORT.get(p.agency or "", "Not recorded"),
            "council": p.local_authority_name or p.local_authority or "Not recorded",
            "red_days": p.red_days,
            "internal_days": p.internal_days,
        }
        for p in patients
    ]


def column_defs(at_query: str = "") -> list[dict[str, Any]]:
    number = {"type": "numericColumn"}
    return [
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
            "minWidth": 130,
        },
        {"field": "local_patient_id", "headerName": "Local patient id", "minWidth": 115},
        {"field": "ward", "headerName": "Ward", "minWidth": 130, "tooltipField": "ward"},
        {"field": "age", "headerName": "Age", "width": 80, "flex": 0, **number},
        {"field": "admitted", "headerName": "Admitted", "minWidth": 115},
        {"field": "edd", "headerName": "Expected discharge", "minWidth": 115},
        {"field": "drd", "headerName": "Discharge ready", "minWidth": 115},
        {
            "field": "days_beyond_drd",
            "headerName": "Days beyond ready date",
            "sort": "desc",
            "width": 115,
            "flex": 0,
            **number,
        },
        {"field": "pathway", "headerName": "Pathway", "width": 90, "flex": 0},
        {
            "field": "reason",
            "headerName": "Waiting for (reason)",
            "minWidth": 220,
            "flex": 2,
            "tooltipField": "reason",
        },
        {"field": "agency", "headerName": "Who must act", "minWidth": 110},
        {
            "field": "internal_days",
            "headerName": "Internal days",
            "width": 100,
            "flex": 0,
            **number,
        },
        {"field": "council", "headerName": "Council", "minWidth": 160, "tooltipField": "council"},
        {
            "field": "red_days",
            "headerName": "Red days",
            "cellRenderer": "RedDays",
            "minWidth": 105,
            **number,
        },
    ]


def grid(
    patients: Sequence[DelayedPatient], *, grid_id: str, at_query: str = "", height: str = "auto"
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
        columnDefs=column_defs(at_query),
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

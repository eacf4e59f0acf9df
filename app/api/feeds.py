"""Feed delivery (POST a batch), runs, rejected rows and freshness."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from app.api.deps import SessionDep
from app.api.security_deps import PatientAudit, PrincipalDep, require_roles
from app.core.config import get_settings
from app.metrics import feed_runs
from app.metrics.freshness import FeedStatus, SchedulerStatus, feed_status, scheduler_status
from app.security.principal import Principal
from app.security.roles import Role
from ingest.loader import DatabaseUnavailable, load_batch

router = APIRouter(prefix="/feeds", tags=["feeds"])
FeedName = Literal["beds", "care_homes", "domiciliary", "patients"]
# Only a feed client delivers batches; the run records which one (its token name), so that it
# can read back its own runs and rejections.
FeedClientDep = Annotated[Principal, Depends(require_roles(Role.FEED))]
#: a batch body up to this size is held in memory; a larger one is written to a temporary file
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
# run ids are 32-bit integers in the store: anything larger is no run, and must not reach it
RunId = Annotated[int, Path(ge=1, le=2_147_483_647, description="an ingest run id")]


class RunSummaryOut(BaseModel):
    run_id: int
    feed: str
    status: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    warnings: int
    notices: list[str]
    error: str | None
    duplicate_of_run_id: int | None
    snapshot_at: datetime | None


class FeedsStatus(BaseModel):
    feeds: list[FeedStatus]
    sources: list[FeedStatus]
    scheduler: list[SchedulerStatus]


@router.post(
    "/{feed}/batches",
    response_model=RunSummaryOut,
    operation_id="post_feed_batch",
    responses={
        200: {"description": "The same batch was delivered before: nothing changed."},
        201: {"description": "Loaded (some rows may be quarantined: see rows_quarantined)."},
        413: {"description": "The body is larger than HOMEWARD_MAX_BATCH_MB: split it."},
        422: {"description": "The batch as a whole was rejected (e.g. a missing column)."},
        503: {"description": "The database is unavailable; deliver again later."},
    },
    status_code=201,
)
async def post_batch(
    feed: FeedName,
    request: Request,
    sender: FeedClientDep,
    layout: Annotated[str | None, Query(description="Column mapping layout name")] = None,
) -> JSONResponse:
    """Deliver one batch of a feed: a CSV body (text/csv), a JSON list, or a multipart file."""
    limit = get_settings().max_batch_mb * 2**20
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)  # refused before a byte of the body is read
    # every byte of the body passes the limit on its way in, whatever the form of the body
    request = Request(request.scope, _limited(request.receive, limit))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    file_name: str | None = None
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            await form.close()
            raise HTTPException(422, "multipart body needs a 'file' field with the CSV or JSON")
        file_name = upload.filename
        fmt = "json" if (file_name or "").lower().endswith(".json") else "csv"
    else:
        form = None
        # closed (and so deleted) in the finally below, once the load has read it; the same
        # kind of file Starlette spools a multipart upload to (its stub is not a BinaryIO)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
        upload = UploadFile(spool)  # type: ignore[arg-type]
        try:
            async for chunk in request.stream():
                await upload.write(chunk)  # to disk past 1 MB, off the event loop
        except BaseException:
            await upload.close()
            raise
        fmt = "json" if content_type.endswith("json") else "csv"
    try:
        await upload.seek(0)
        # the load is synchronous (parsing, SQL): a worker thread, so the event loop serves
        # every other request meanwhile
        summary = await run_in_threadpool(
            load_batch,
            feed,
            upload.file,
            source_kind="api",
            source_name=sender.name,  # token:<name>: the client reads its runs back by it
            file_name=file_name,
            fmt=fmt,  # type: ignore[arg-type]
            layout=layout,
        )
    except DatabaseUnavailable:
        return JSONResponse(
            status_code=503,
            content={"detail": "The database is unavailable; nothing was loaded. Send again."},
            headers={"Retry-After": "60"},
        )
    finally:
        await (form.close() if form is not None else upload.close())
    payload = RunSummaryOut(**_as_dict(summary)).model_dump(mode="json")
    code = {"succeeded": 201, "duplicate": 200}.get(summary.status, 422)
    return JSONResponse(status_code=code, content=payload)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"batch larger than {limit // 2**20} MB: split it")


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) as soon as the body read so far passes ``limit`` bytes,
    so a too-large batch is never read to its end."""
    read = 0

    async def limited() -> Message:
        nonlocal read
        message = await receive()
        read += len(message.get("body", b""))
        if read > limit:
            raise _too_large(limit)
        return message

    return limited


def _as_dict(summary: Any) -> dict[str, Any]:
    data = asdict(summary)
    data["notices"] = [str(n) for n in data.get("notices", [])]
    return data


@router.get("/status", response_model=FeedsStatus, operation_id="feeds_status")
def status(session: SessionDep) -> FeedsStatus:
    """Freshness of each feed and each source (fresh / stale / failing), and the scheduler."""
    return FeedsStatus(
        feeds=feed_status(session),
        sources=feed_status(session, by_source=True),
        scheduler=scheduler_status(session),
    )


def _own_runs_only(principal: Principal) -> str | None:
    """A feed client sees only the runs it delivered (by its name); people see every run."""
    return principal.name if principal.role is Role.FEED else None


def _visible_run(session: SessionDep, run_id: int, principal: Principal) -> feed_runs.RunDetail:
    """The run, or 404 when there is none or it is another feed client's (not 403: a client
    learns nothing about runs that are not its own)."""
    found = feed_runs.get_run(session, run_id)
    sender = _own_runs_only(principal)
    if found is None or (
        sender is not None and (found.source, found.source_name) != ("api", sender)
    ):
        raise HTTPException(404, f"no ingest run {run_id}")
    return found


def sees_rejected_values(principal: Principal, run: feed_runs.RunDetail) -> bool:
    """Who sees the values a run's quarantined rows received (DESIGN §7): the coordinator of
    the whole system (a scoped one might see another council's residents: the rows failed
    the contract, so whose they are is not known) and the feed client that sent the batch."""
    if principal.role is Role.COORDINATOR:
        return principal.is_person and principal.scope.is_system
    return principal.role is Role.FEED and _own_runs_only(principal) == run.source_name


@router.get("/runs", response_model=list[feed_runs.RunOut], operation_id="list_feed_runs")
def runs(
    session: SessionDep,
    principal: PrincipalDep,
    feed: FeedName | None = None,
    status: feed_runs.RunStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[feed_runs.RunOut]:
    """Ingest runs, newest first (a feed client: the runs it delivered); ``abandoned``: runs
    whose loading process stopped mid-batch."""
    return feed_runs.list_runs(
        session,
        feed=feed,
        status=status,
        limit=limit,
        offset=offset,
        sent_by=_own_runs_only(principal),
    )


@router.get(
    "/runs/{run_id}",
    response_model=feed_runs.RunDetail,
    operation_id="get_feed_run",
    responses={404: {"description": "No such run (or, for a feed client, not its own)"}},
)
def run(run_id: RunId, session: SessionDep, principal: PrincipalDep) -> feed_runs.RunDetail:
    """One ingest run with its counts, warnings and notices."""
    return _visible_run(session, run_id, principal)


@router.get(
    "/runs/{run_id}/rejected",
    response_model=feed_runs.RejectedPage,
    operation_id="get_feed_run_rejected",
    responses={404: {"description": "No such run (or, for a feed client, not its own)"}},
)
def rejected(
    run_id: RunId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> feed_runs.RejectedPage:
    """The quarantined rows of a run: line, column and the reason to act on; the values
    received only for the coordinator (audited) and the feed client that sent the batch."""
    found = _visible_run(session, run_id, principal)
    redacted = not sees_rejected_values(principal, found)
    total, rows = feed_runs.rejected_rows(
        session, run_id=run_id, limit=limit, offset=offset, redacted=redacted
    )
    if not redacted:  # the values received may be patient data: audited like every such read
        filters = {"run_id": run_id, "feed": found.feed, "limit": limit, "offset": offset}
        PatientAudit(request, principal)("feeds.rejected", filters, len(rows))
    return feed_runs.RejectedPage(run_id=run_id, total=total, redacted=redacted, rows=rows)

"""What the metrics routers share: the query parameters of the contract and the route class
that turns a metrics refusal into HTTP (a bad parameter → 422 naming it, unknown → 404)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from app.api.deps import read_session
from app.metrics.cache import cached_json
from app.metrics.errors import InvalidParameter, NotFound

At = Annotated[
    datetime | None,
    Query(description="ISO 8601 timestamp (no offset: Europe/London time); default now"),
]
Start = Annotated[date, Query(description="first day, YYYY-MM-DD (Europe/London), inclusive")]
End = Annotated[date, Query(description="last day, YYYY-MM-DD (Europe/London), inclusive")]
SiteCode = Annotated[
    str | None, Query(description="an ODS site code; absent: the whole system", max_length=12)
]
Council = Annotated[
    str | None, Query(description="an ONS council code such as E06000015", max_length=9)
]


class MetricsRoute(APIRoute):
    """An API route whose metrics errors answer as the app's validation errors and 404s do."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except InvalidParameter as exc:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("query", exc.parameter),
                            "msg": exc.message,
                            "type": "value_error",
                        }
                    ]
                )
            except NotFound as exc:
                raise HTTPException(status_code=404, detail=str(exc))

        return route_handler


def cached_response(
    function: Callable[..., Any],
    response_type: Any,
    /,
    *,
    now_bound: bool,
    **params: Any,
) -> Response:
    """The JSON answer of ``function(session, **params)`` from the metrics cache
    (``app.metrics.cache``): the bytes FastAPI would write for ``response_model=response_type``,
    serialised once per data version instead of once per request. The route keeps its
    ``response_model`` for the OpenAPI schema. Call it from a sync route: it reads the store
    (a session of its own, opened and closed in the route's thread)."""
    with read_session() as session:
        body, _result = cached_json(session, function, response_type, now_bound=now_bound, **params)
    return json_response(body)


def json_response(body: bytes) -> Response:
    """Serialised JSON as FastAPI itself answers it."""
    return Response(content=body, media_type="application/json")

"""The two ways a metrics call can refuse: a bad parameter (HTTP 422) or an unknown thing (404)."""

from __future__ import annotations


class InvalidParameter(ValueError):
    """A parameter the metrics cannot use; the message names it (``start: ...``)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class NotFound(LookupError):
    """The thing asked for (a spell) is not in the store."""

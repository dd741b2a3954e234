"""The one error type of Wardmate and its codes.

Hierarchy::

    AppError(code, message, details)
      code is one of:
        validation    -> HTTP 400   bad input; details lists the fields
        unauthorized  -> HTTP 401   no or bad credentials
        forbidden     -> HTTP 403   authenticated, but the wrong party for this action
        not_found     -> HTTP 404   no such object, or not visible to the caller
        conflict      -> HTTP 409   the state forbids it (double booking, duplicate email)
        rate_limited  -> HTTP 429   too many attempts
        method_not_allowed, payload_too_large -> 405, 413 (gateway only)
        unavailable   -> HTTP 503   a dependency is down (NATS no responders)
        timeout       -> HTTP 504   a service did not answer in time (gateway only)
        internal      -> HTTP 500   unexpected; never carries detail to a client

Services raise ``AppError``; the service runner turns it into an error reply, the
request helper turns the reply back into ``AppError``, and one gateway middleware
maps it to a status and ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any, Literal

ErrorCode = Literal[
    "validation",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "method_not_allowed",
    "payload_too_large",
    "unavailable",
    "timeout",
    "internal",
]

HTTP_STATUS: dict[str, int] = {
    "validation": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unavailable": 503,
    "timeout": 504,
    "internal": 500,
}


class AppError(Exception):
    """A failure the caller should hear about, with a code from ``ErrorCode``."""

    def __init__(self, code: ErrorCode, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body clients see: ``{"error": {...}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def __repr__(self) -> str:
        return f"AppError({self.code!r}, {self.message!r})"


def validation_details(errors: list[Any], patterns: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Reduce pydantic's error list to what a client needs: field path and message.

    ``patterns`` words the failure of a known pattern (pydantic quotes the regex itself).
    """
    out = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        message = err.get("msg", "invalid")
        if err.get("type") == "string_pattern_mismatch" and patterns:
            message = patterns.get(err.get("ctx", {}).get("pattern"), message)
        out.append({"field": loc or None, "message": message})
    return out

"""HTTP errors: one JSON shape, ``{"error": {"code", "message"}}``, for every failure; never a trace."""
from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("storyfilter.serving")

_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
          413: "too_large", 415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests",
          503: "not_ready"}


class ApiError(Exception):
    """An error the service answers on purpose, with its status and stable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _validation_message(err: RequestValidationError) -> str:
    """The field and reason of each problem; never the input (it may be a 16 MB page)."""
    parts = []
    for item in err.errors()[:5]:
        loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        msg = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI, count_error: Callable[[str], None]) -> None:
    """Route every exception to the JSON error shape; ``count_error(code)`` feeds the metrics."""

    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        count_error(exc.code)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's own 400 is a body it cannot decode: the same 422 as bad JSON
            count_error("invalid_request")
            return error_response(422, "invalid_request", "body: not valid UTF-8 JSON")
        code = _CODES.get(exc.status_code, "http_error")
        count_error(code)
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        count_error("invalid_request")
        return error_response(422, "invalid_request", _validation_message(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        count_error("internal")
        return error_response(500, "internal", "internal error; it has been logged")

    app.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected)

"""The API-key check every protected endpoint shares (scoring, model, admin, review)."""
from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request

from .errors import ApiError
from .settings import Settings


def api_key_check(settings: Settings) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency: 401 unless the ``X-API-Key`` header holds the configured key.

    With no key configured it lets every request through. It is async and never
    blocks, so it runs on the event loop instead of costing a threadpool hop.
    The comparison takes the same time wherever the keys differ.
    """

    async def require_api_key(request: Request) -> None:
        expected = settings.api_key
        if expected is None:
            return
        given = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            raise ApiError(401, "unauthorized", "missing or wrong X-API-Key header",
                           {"WWW-Authenticate": "X-API-Key"})

    return require_api_key

"""Routes of the review page: ``/review`` (HTML, CSS, JS) and the JSON API under ``/v1/review``.

The HTML page itself is open (it holds no data); every JSON endpoint needs the
``X-API-Key`` header when the service runs with a key, like ``/v1/score``. The
page asks for the key and sends it with each call.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response, StreamingResponse

from classifier.api import StoryFilter

from ..auth import api_key_check
from ..errors import ApiError
from ..responses import FastJSONResponse
from ..schemas import ErrorBody
from ..settings import Settings
from .export import FORMATS, export_rows
from .records import PageNotFound, PageSummary, SavedMeanwhile, redacted
from .schemas import (LabelsRequest, ModelRef, PageList, PageSummaryOut, Queue, QueueItemOut, ReviewPage,
                      ReviewScoreRequest, SaveResult)
from .views import score_for_review, stored_view

if TYPE_CHECKING:
    from .store import FeedbackStore

log = logging.getLogger("storyfilter.review")
STATIC = Path(__file__).resolve().parent / "static"
ExportFormat = Literal["blocks", "label-studio", "doccano", "prodigy"]


class StoreHandle:
    """Opens the feedback store (and migrates it) on first use, once: a service that never
    reviews a page never creates a database file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: "FeedbackStore | None" = None
        self._lock = threading.Lock()

    def get(self) -> "FeedbackStore":
        if self._store is None:
            with self._lock:
                if self._store is None:
                    try:
                        from .store import FeedbackStore  # needs SQLAlchemy: the review extra

                        self._store = FeedbackStore.open(self.url)
                    except Exception as err:  # ImportError, a bad URL, an unreachable server...
                        log.error("feedback store %s did not open: %s", redacted(self.url), err)
                        raise ApiError(503, "feedback_unavailable",
                                       "the feedback store could not be opened; see the server log") from None
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}


def _summary(p: PageSummary) -> PageSummaryOut:
    return PageSummaryOut(page_id=p.id, ref=p.ref, url=p.url, site=p.site, mode=p.mode,
                          model=ModelRef(name=p.model_name, version=p.model_version), threshold=p.threshold,
                          blocks=p.n_blocks, labelled=p.labelled, corrected=p.corrected, created=p.created,
                          reviewed=p.reviewed)


def _store_errors(call: Callable[[], Any]) -> Any:
    """Run a store call; database trouble becomes a 503 (logged), never a trace.

    SQLAlchemy is not imported here: without the review extra the call itself fails
    with 503 ``feedback_unavailable`` (see :class:`StoreHandle`), and that must pass.
    """
    try:
        return call()
    except PageNotFound as err:
        raise ApiError(404, "page_not_found", f"no stored page {err.args[0]!r}") from None
    except SavedMeanwhile:
        raise ApiError(409, "saved_meanwhile", "someone saved this page after you opened it; open it again to "
                       "see their labels, then save yours") from None
    except Exception as err:
        if not _database_unreachable(err):
            raise
        log.error("feedback store: %s", err)
        raise ApiError(503, "feedback_busy", "the feedback store is busy or unreachable; retry shortly",
                       {"Retry-After": "1"}) from None


def _database_unreachable(err: Exception) -> bool:
    """SQLAlchemy's OperationalError, when SQLAlchemy is loaded (it is, once a store opened)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(err, exc.OperationalError)


def review_router(model: Callable[[], StoryFilter], settings: Settings, store: StoreHandle) -> APIRouter:
    """The review routes; ``model()`` returns the live model (or raises 503 ``not_ready``)."""

    router = APIRouter()
    api = APIRouter(prefix="/v1/review", tags=["review"], dependencies=[Depends(api_key_check(settings))])

    @router.get("/review", include_in_schema=False)
    @router.get("/review/queue", include_in_schema=False)
    async def review_page() -> FileResponse:
        """The review page (the same page opens on its queue at /review/queue)."""
        return FileResponse(STATIC / "review.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    @router.get("/review/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        files = {"review.css": "text/css; charset=utf-8", "review.js": "text/javascript; charset=utf-8"}
        if name not in files:
            raise ApiError(404, "not_found", "no such file")
        return FileResponse(STATIC / name, media_type=files[name], headers={"Cache-Control": "no-cache"})

    @api.post("/score", response_model=ReviewPage, responses=_errors(400, 401, 413, 422, 503))
    def score(req: ReviewScoreRequest) -> Response:
        """Score a page for review: every block with its score, label and explanation; stored unless
        ``store`` is false (then ``page_id`` is null)."""
        page, record = score_for_review(model(), req)
        if req.store:
            page.page_id = _store_errors(lambda: store.get().add_page(record))
        return FastJSONResponse(page.model_dump())

    @api.get("/pages", response_model=PageList, responses=_errors(401, 503))
    def pages(limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000_000)) -> PageList:
        """Stored pages, newest first, with how many blocks were labelled and corrected."""
        s = store.get()
        found = _store_errors(lambda: s.pages(limit, offset))
        return PageList(total=_store_errors(s.count_pages), pages=[_summary(p) for p in found])

    @api.get("/pages/{page_id}", response_model=ReviewPage, responses=_errors(401, 404, 503))
    def page(page_id: str, top_k: int = Query(5, ge=0, le=50)) -> Response:
        """A stored page scored by the live model, with the reviewer's labels."""
        stored = _store_errors(lambda: store.get().page(page_id))
        return FastJSONResponse(stored_view(model(), stored, top_k).model_dump())

    @api.put("/pages/{page_id}/labels", response_model=SaveResult, responses=_errors(401, 404, 409, 422, 503))
    def save(page_id: str, req: LabelsRequest) -> SaveResult:
        """Save the reviewer's labels (by block position) in one transaction; the page counts as reviewed."""
        s = store.get()
        try:
            changed = _store_errors(lambda: s.save_labels(page_id, {b.position: b.label for b in req.labels},
                                                          req.if_unchanged_since))
        except ValueError as err:
            raise ApiError(422, "invalid_request", str(err)) from None
        summary = _store_errors(lambda: s.page(page_id)).summary
        return SaveResult(page_id=page_id, changed=changed, labelled=summary.labelled, corrected=summary.corrected,
                          reviewed=summary.reviewed)

    @api.delete("/pages/{page_id}", status_code=204, responses=_errors(401, 404, 503))
    def delete(page_id: str) -> Response:
        """Forget a stored page and every label on it."""
        _store_errors(lambda: store.get().delete_page(page_id))
        return Response(status_code=204)

    @api.get("/queue", response_model=Queue, responses=_errors(401, 503))
    def queue(limit: int = Query(20, ge=1, le=500)) -> Queue:
        """Unlabelled blocks of stored pages, the ones the model was least sure of first."""
        items = _store_errors(lambda: store.get().queue(limit))
        return Queue(items=[QueueItemOut.model_validate(q, from_attributes=True) for q in items])

    @api.get("/export", responses={200: {"content": {"application/x-ndjson": {}}}, **_errors(401, 422, 503)})
    def export(format: ExportFormat = Query("blocks")) -> Response:  # noqa: A002 - the query parameter's name
        """Every reviewed page's blocks with their labels (corrections win), one JSON object a line:
        ``blocks`` (storyfilter's labelled blocks, with the page's HTML), ``label-studio``, ``doccano``
        or ``prodigy``. ``storyfilter train`` reads all four."""
        s = store.get()
        ids = _store_errors(s.reviewed_ids)  # read before the response starts: a broken store is a 503

        def lines() -> Iterator[bytes]:
            for row in export_rows(s.reviewed_pages(ids), format):
                yield (json.dumps(row, ensure_ascii=False) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="storyfilter-feedback-{format}.jsonl"'})

    assert set(FORMATS) == set(ExportFormat.__args__)  # type: ignore[attr-defined]
    router.include_router(api)
    return router

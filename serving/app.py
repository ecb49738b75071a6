"""The scoring service: ``create_app(settings)`` builds the FastAPI app.

The model loads once, in a background thread started by the lifespan, so
``/healthz`` answers at once and ``/readyz`` says 503 until scoring can start.
Scoring endpoints are plain ``def``: FastAPI runs them in its threadpool, so
CPU-bound scoring never blocks the event loop. No endpoint fetches a URL.
``POST /v1/admin/reload`` and SIGHUP swap in a new model without dropping a request.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline

from classifier import __version__
from classifier.api import StoryFilter, load_model

from .auth import api_key_check
from .errors import ApiError, install_error_handlers
from .metrics import Metrics
from .middleware import BodyLimitMiddleware, InFlightLimitMiddleware, MetricsMiddleware
from .reload import Loader, ReloadRefused, ReloadRequest, describe, install_reload_signal, load_from
from .responses import FastJSONResponse
from .review import install_review
from .schemas import BatchRequest, BatchResult, ErrorBody, Health, ModelDetails, ModelInfo, ScoreRequest, ScoreResult
from .scoring import Deadline, score_batch, score_one
from .settings import Settings
from .supervisor import FOLLOW_SIGNAL, SharedModelDir

log = logging.getLogger("storyfilter.serving")


def default_loader(settings: Settings) -> StoryFilter:
    """The models named by the settings (the shipped ones by default), with the service's limits."""
    return load_model(settings.model_dir, limits=settings.limits())


class ModelHolder:
    """The loaded model, or why there is none yet; each request reads ``model`` once, at its start."""

    def __init__(self) -> None:
        self.model: StoryFilter | None = None
        self.error: str | None = None
        self.done = threading.Event()  # set when the first load finished, loaded or not
        self.lock = threading.Lock()  # one load at a time, so swaps land in the order loads ran

    def load(self, loader: Loader, settings: Settings, on_loaded: Callable[[StoryFilter], None]) -> None:
        """The first load, at start; a failure leaves the service unready and says why."""
        with self.lock:
            try:
                model = loader(settings)
                on_loaded(model)
                self.model = model
                log.info("model loaded: %s", describe(model))
            except Exception as err:
                self.error = f"model failed to load: {err}"
                log.error("%s", self.error)
            finally:
                self.done.set()

    def reload(self, load: Callable[[], StoryFilter], on_loaded: Callable[[StoryFilter], None]) -> StoryFilter:
        """Load with ``load`` off to the side, then swap in one assignment; raises :class:`ReloadRefused`.

        Waits for the first load, so that one cannot land after (and undo) a reload.
        """
        self.done.wait()
        with self.lock:
            try:
                model = load()
            except Exception as err:  # whatever broke, the old model keeps serving
                raise ReloadRefused(f"model refused, the old one keeps serving: {err}") from None
            self.model, self.error = model, None
            on_loaded(model)
            return model

    def require(self) -> StoryFilter:
        if self.model is None:
            raise ApiError(503, "not_ready", self.error or "the model is still loading", {"Retry-After": "1"})
        return self.model


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}


def _model_details(model: StoryFilter) -> list[ModelDetails]:
    out = []
    for mode, loaded in model.models.items():
        cv = loaded.manifest.get("cross_validation") or None
        metrics = None
        if cv:
            metrics = {k: cv.get(k) for k in ("folds", "grouped_by", "threshold", "pages")}
            metrics["overall"] = ((cv.get("systems") or {}).get("storyfilter") or {}).get("overall")
        out.append(ModelDetails(mode=mode, name=loaded.name, version=loaded.version,  # type: ignore[arg-type]
                                labels=list(loaded.manifest.get("labels", ["boilerplate", "story"])),
                                threshold=loaded.threshold, postfilter_threshold=loaded.postfilter_threshold,
                                metrics=metrics))
    return out


def create_app(settings: Settings | None = None, loader: Loader = default_loader) -> FastAPI:
    """The app for these settings; ``loader`` builds the model (replace it in tests)."""
    settings = settings or Settings()
    metrics = Metrics()
    holder = ModelHolder()
    shared_dir = SharedModelDir.from_env()  # set when several workers run under serving.supervisor

    def reload_model(pick_dir: Callable[[], Path | None]) -> StoryFilter:
        """Swap in the model of the directory ``pick_dir()`` names (None: the configured one);
        raises :class:`ReloadRefused`. The directory is picked under the holder's lock, so of two
        reloads close together the one that loads last also read the record last."""
        try:
            model = holder.reload(lambda: load_from(loader, settings, pick_dir()), metrics.set_model)
        except ReloadRefused as err:
            metrics.count_reload("refused")
            log.error("%s", err)
            raise
        metrics.count_reload("ok")
        log.info("model reloaded: %s", describe(model))
        return model

    def reload_on_signal(model_dir: Callable[[], Path | None]) -> Callable[[], None]:
        """A signal has nobody to answer: a refusal is logged and counted by ``reload_model``."""
        def reload() -> None:
            try:
                reload_model(model_dir)
            except ReloadRefused:
                pass
        return reload

    served_record: list[str | None] = [None]  # the token of the shared record this worker serves

    def follow_record() -> None:
        """Another worker loaded a directory: load it too, unless this worker is the one (or
        already did)."""
        token = shared_dir.token()
        if token is not None and token == served_record[0]:
            return
        reload_on_signal(shared_dir.read)()
        served_record[0] = token

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Scoring holds the GIL, so threads past a few add no speed, only memory (an allocator
        # arena each) and cache misses: with anyio's default of 40, one worker's RSS grew by
        # 15 MB at 32 requests in flight and its overhead per request by about 1 ms.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads

        def load_at_start(s: Settings) -> StoryFilter:
            """A worker started after an admin reload serves what the other workers serve."""
            served_record[0] = shared_dir.token()
            return load_from(loader, s, shared_dir.read())

        threading.Thread(target=holder.load, args=(load_at_start, settings, metrics.set_model),
                         name="storyfilter-model-load", daemon=True).start()
        undo = [install_reload_signal(getattr(signal, "SIGHUP", None), reload_on_signal(lambda: None)),
                install_reload_signal(FOLLOW_SIGNAL if shared_dir.shared else None, follow_record)]
        try:
            yield
        finally:
            for restore in undo:
                restore()
            metrics.process_exiting()

    # /docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package, not a CDN,
    # so they work offline (and behind a firewall); their assets are under /static-offline-docs.
    app = FastAPIOffline(title="storyfilter", version=__version__, lifespan=lifespan,
                  description="Keep the story of a web page; drop recommendations, related links, navigation "
                              "and other clutter. Pages are sent in the body; no URL is ever fetched.")
    app.state.settings, app.state.metrics, app.state.holder = settings, metrics, holder
    install_error_handlers(app, metrics.count_error)

    # The checks below are async: they never block, so they stay on the event loop
    # instead of costing a threadpool hop on every request.
    require_api_key = api_key_check(settings)

    async def require_json(request: Request) -> None:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")

    async def ready_model() -> StoryFilter:
        return holder.require()

    async def require_admin_key(request: Request) -> None:
        """Admin endpoints always need a key: without one configured, they are off."""
        if settings.api_key is None:
            raise ApiError(403, "admin_disabled", "admin endpoints need an API key; start the service with one")
        await require_api_key(request)

    scoring = [Depends(require_api_key), Depends(require_json)]

    @app.post("/v1/score", response_model=ScoreResult, dependencies=scoring, tags=["scoring"],
              responses=_errors(400, 401, 413, 415, 422, 429, 503))
    def score(req: ScoreRequest, model: StoryFilter = Depends(ready_model)) -> Response:
        """Score one page: the story text and every block with P(story)."""
        result, blocks = score_one(model, req, Deadline.after(settings.time_budget))
        metrics.count_scored(req.mode, 1, blocks)
        return FastJSONResponse(result)

    @app.post("/v1/score/batch", response_model=BatchResult, dependencies=scoring, tags=["scoring"],
              responses=_errors(401, 413, 415, 422, 429, 503))
    def score_many(req: BatchRequest, model: StoryFilter = Depends(ready_model)) -> Response:
        """Score many pages in one model call per mode; a page that fails holds its error in place."""
        if len(req.pages) > settings.max_batch:
            raise ApiError(413, "batch_too_large",
                           f"{len(req.pages)} pages; at most {settings.max_batch} per batch")
        results, scored = score_batch(model, req.pages, Deadline.after(settings.time_budget))
        for mode, (pages, blocks) in scored.items():
            metrics.count_scored(mode, pages, blocks)
        for item in results:
            if "error" in item:
                metrics.count_error(item["error"]["code"])
        return FastJSONResponse({"results": results})

    @app.get("/v1/model", response_model=ModelInfo, dependencies=[Depends(require_api_key)], tags=["model"],
             responses=_errors(401, 503))
    def model_info(model: StoryFilter = Depends(ready_model)) -> ModelInfo:
        """The loaded models: name, version, labels, thresholds and cross-validated metrics."""
        return ModelInfo(models=_model_details(model))

    @app.post("/v1/admin/reload", response_model=ModelInfo, dependencies=[Depends(require_admin_key)],
              tags=["admin"], responses=_errors(401, 403, 409, 422))
    def reload(req: ReloadRequest | None = None) -> ModelInfo:
        """Load a model directory (default: the configured one) and swap it in; requests in flight
        finish on the old model. 409 ``model_refused`` if it does not load: the old model keeps serving."""
        model_dir = req.model_dir if req else None
        try:
            model = reload_model(lambda: model_dir)
        except ReloadRefused as err:
            raise ApiError(409, "model_refused", str(err)) from None
        # With several workers, the others load the same directory (their refusals are logged).
        served_record[0] = shared_dir.write(model_dir)
        shared_dir.ask_all_workers_to_follow()
        return ModelInfo(models=_model_details(model))

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """The process answers (liveness); says nothing about the model."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, tags=["health"], responses=_errors(503))
    async def readyz() -> Health:
        """200 once the model is loaded and requests can be scored (readiness)."""
        holder.require()
        return Health(status="ready")

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics of this worker process."""
        return Response(metrics.render(), media_type=metrics.content_type)

    install_review(app, holder, settings)  # /review and /v1/review/*; the database opens on first use

    known = frozenset(getattr(r, "path", "") for r in app.routes)
    # The last added runs first: metrics see everything; the body is read in full before a
    # request counts as in flight, so slow uploads cannot take the scoring slots.
    app.add_middleware(InFlightLimitMiddleware, limit=settings.max_in_flight,
                       prefixes=("/v1/score", "/v1/review/"),
                       on_reject=lambda: metrics.count_error("too_many_requests"), report=metrics.in_flight.set)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       on_reject=lambda: metrics.count_error("too_large"))
    app.add_middleware(MetricsMiddleware, observe=metrics.observe_request, known_paths=known)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings come from ``STORYFILTER_*`` variables."""
    return create_app(Settings.from_env())

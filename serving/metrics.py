"""Prometheus metrics of one app, in a registry of its own (so apps in one process do not clash)."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from classifier.api import StoryFilter

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Requests, latency, pages and blocks scored, errors by kind, and the model loaded."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("storyfilter_requests_total", "HTTP requests answered.",
                                ["endpoint", "method", "status"], registry=r)
        self.latency = Histogram("storyfilter_request_seconds", "Time to answer a request.", ["endpoint"],
                                 buckets=_LATENCY_BUCKETS, registry=r)
        self.pages = Counter("storyfilter_pages_scored_total", "Pages scored.", ["mode"], registry=r)
        self.blocks = Counter("storyfilter_blocks_scored_total", "Blocks scored.", ["mode"], registry=r)
        self.errors = Counter("storyfilter_errors_total", "Errors answered, by kind (the error code).",
                              ["kind"], registry=r)
        self.model = Gauge("storyfilter_model_info", "The model loaded (1 per mode).",
                           ["mode", "name", "version"], registry=r)
        self.reloads = Counter("storyfilter_model_reloads_total",
                               "Model reloads, by result: ok, or refused (the old model kept serving).",
                               ["result"], registry=r)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def count_error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def count_scored(self, mode: str, pages: int, blocks: int) -> None:
        self.pages.labels(mode).inc(pages)
        self.blocks.labels(mode).inc(blocks)

    def set_model(self, model: StoryFilter) -> None:
        """Show exactly the models now serving: a reload drops the old versions' series."""
        self.model.clear()
        for mode, loaded in model.models.items():
            self.model.labels(mode, loaded.name, loaded.version).set(1)

    def count_reload(self, result: str) -> None:
        self.reloads.labels(result).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

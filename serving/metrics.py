"""Prometheus metrics of one app, in a registry of its own (so apps in one process do not clash).

With several worker processes (``storyfilter serve --workers N``), every worker
writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode, set up by ``serve``), and ``/metrics`` on any worker reports
the sums over all of them, so a scrape through the load balancer sees the whole
service rather than whichever worker answered.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from classifier.api import StoryFilter

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    """Whether samples go to shared files (prometheus_client reads the same variable at import)."""
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """Requests, latency, in flight, pages and blocks scored, errors by kind, and the model loaded."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("storyfilter_requests_total", "HTTP requests answered.",
                                ["endpoint", "method", "status"], registry=r)
        self.latency = Histogram("storyfilter_request_seconds", "Time to answer a request.", ["endpoint"],
                                 buckets=_LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("storyfilter_requests_in_flight", "Scoring requests being answered now.",
                               registry=r, multiprocess_mode="livesum")
        self.pages = Counter("storyfilter_pages_scored_total", "Pages scored.", ["mode"], registry=r)
        self.blocks = Counter("storyfilter_blocks_scored_total", "Blocks scored.", ["mode"], registry=r)
        self.errors = Counter("storyfilter_errors_total", "Errors answered, by kind (the error code).",
                              ["kind"], registry=r)
        # One series per worker process in multiprocess mode (label ``pid``): workers may briefly
        # hold different versions during a reload, and that should show.
        self.model = Gauge("storyfilter_model_info", "The model loaded (1 per mode).",
                           ["mode", "name", "version"], registry=r, multiprocess_mode="liveall")
        self._model_labels: list[tuple[str, str, str]] = []
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

    def set_model(self, model: "StoryFilter") -> None:
        """Show exactly the models now serving: a reload drops the old versions' series.

        In multiprocess mode a series lives on in this process's file, so the old version's
        is set to 0 instead: it then reads 0, not 1.
        """
        for labels in self._model_labels:
            self.model.labels(*labels).set(0)
            if not multiprocess():  # in multiprocess mode a series cannot be removed; 0 says it
                self.model.remove(*labels)
        self._model_labels = [(mode, loaded.name, loaded.version) for mode, loaded in model.models.items()]
        for labels in self._model_labels:
            self.model.labels(*labels).set(1)

    def count_reload(self, result: str) -> None:
        self.reloads.labels(result).inc()

    def render(self) -> bytes:
        if multiprocess():
            from prometheus_client import multiprocess as mp

            merged = CollectorRegistry()
            mp.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)

    @staticmethod
    def process_exiting() -> None:
        """Drop this worker's live gauges (in flight, model) from the shared files as it stops."""
        if multiprocess():
            from prometheus_client import multiprocess as mp

            mp.mark_process_dead(os.getpid())

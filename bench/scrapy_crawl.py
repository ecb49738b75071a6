"""Crawl overhead of the Scrapy integration: 500 local pages with and without storyfilter.

    PYTHONPATH=. python bench/scrapy_crawl.py --pages 500 --repeats 3 --json bench/results/scrapy.json
    PYTHONPATH=. python bench/scrapy_crawl.py --pages 500 --repeats 5 --latency 0.02 \
        --json bench/results/scrapy_latency.json      # a site answering after 20 ms

The site (tests/scrapy_site.py: varied story pages wrapped in nav, teaser lists, related
boxes, newsletter and footer; index pages of 50 links) is served from this process on a
loopback port, pinned to CPU 0; each crawl is a fresh ``scrapy`` process
(tests/scrapy_runner.py) pinned to CPU 1 (``taskset``, when there are two CPUs), so the
server does not steal the crawler's CPU. Time is Scrapy's own ``elapsed_time_seconds``
(spider open to close: the model load and interpreter start are not in it). Runs:

- ``baseline``            no storyfilter (the spider puts ``response.text`` in every item)
- ``baseline_meta``       no storyfilter, the spider yields URL and status only
- ``pipeline``            StoryFilterPipeline, scoring in worker threads (the default)
- ``pipeline_inline``     StoryFilterPipeline, ``STORYFILTER_IN_THREAD = False``
- ``middleware``          StoryFilterMiddleware (spider yields no HTML; compared with ``baseline_meta``)
- ``remote``              StoryFilterPipeline -> ``storyfilter serve`` on CPU 0 (``--no-remote`` skips)

Per-page overhead = (median elapsed of a run - median elapsed of its baseline) / pages; the
same for the crawl process's CPU time (all its threads, spider open to close), which
other load on the machine disturbs less than wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from scrapy_site import bench_site, serve_site
from service_process import repo_env, running_service

PIPELINE = {"ITEM_PIPELINES": {"classifier.integrations.scrapy.StoryFilterPipeline": 300}}
MIDDLEWARE = {"SPIDER_MIDDLEWARES": {"classifier.integrations.scrapy.StoryFilterMiddleware": 950}}
COMMON = {"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16}


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def crawl_once(base: str, spider: str, settings: dict, workdir: Path) -> dict:
    items, stats = workdir / "items.jsonl", workdir / "stats.json"
    for f in (items, stats):
        f.unlink(missing_ok=True)
    config = {"start_url": base + "/", "spider": spider, "settings": {**COMMON, **settings},
              "items": str(items), "stats": str(stats)}
    proc = subprocess.run([*_pin(1), sys.executable, str(REPO / "tests" / "scrapy_runner.py"), json.dumps(config)],
                          env=repo_env(), capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    s = json.loads(stats.read_text())
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()]
    return {"elapsed_s": s["elapsed_time_seconds"], "cpu_s": s["cpu_seconds"],
            "items": s.get("item_scraped_count", 0),
            "pages_scored": s.get("storyfilter/pages_scored", 0), "errors": s.get("storyfilter/errors", 0),
            "with_story": sum(1 for r in rows if r.get("story_text"))}


def model_ms_per_page(site: dict, n: int) -> float:
    """The model alone on the same pages, in this process: what a page costs to score."""
    from classifier.hooks import make_hook

    hook = make_hook()
    pages = [p.body for path, p in site.items() if path.startswith("/story/")][:n]
    hook(pages[0])
    start = time.perf_counter()
    for page in pages:
        hook(page)
    return (time.perf_counter() - start) / len(pages) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-remote", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the site waits before each answer (a remote site; default: none)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if _pin(0):
        os.sched_setaffinity(0, {0})  # this process (the site server) on CPU 0
    site = bench_site(args.pages)
    runs = {"baseline": ("html", {}), "pipeline": ("html", PIPELINE),
            "pipeline_inline": ("html", {**PIPELINE, "STORYFILTER_IN_THREAD": False}),
            "baseline_meta": ("meta", {}), "middleware": ("meta", MIDDLEWARE)}
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp, serve_site(site, args.latency) as base:
        def run(name: str, spider: str, settings: dict) -> None:
            samples = [crawl_once(base, spider, settings, Path(tmp)) for _ in range(args.repeats)]
            elapsed = statistics.median(s["elapsed_s"] for s in samples)
            cpu = statistics.median(s["cpu_s"] for s in samples)
            results[name] = {"elapsed_s": round(elapsed, 3), "samples_s": [round(s["elapsed_s"], 3) for s in samples],
                             "crawl_cpu_s": round(cpu, 3),
                             "pages_per_s": round(args.pages / elapsed, 1), **{k: samples[-1][k] for k in
                                                                                ("items", "pages_scored", "errors",
                                                                                 "with_story")}}
            print(f"{name:16s} {results[name]['pages_per_s']:7.1f} pages/s  {elapsed:6.2f} s  cpu {cpu:5.2f} s  "
                  f"samples {results[name]['samples_s']}", flush=True)

        for name, (spider, settings) in runs.items():
            run(name, spider, settings)
        if not args.no_remote:
            with running_service() as api:
                run("remote", "html", {**PIPELINE, "STORYFILTER_API_URL": api})
    for name, r in results.items():
        base = results["baseline_meta" if name == "middleware" else "baseline"]  # the same spider without
        r["overhead_ms_per_page"] = round((r["elapsed_s"] - base["elapsed_s"]) / args.pages * 1000, 2)
        r["cpu_overhead_ms_per_page"] = round((r["crawl_cpu_s"] - base["crawl_cpu_s"]) / args.pages * 1000, 2)
    report = {"pages": args.pages, "repeats": args.repeats, "latency_s": args.latency, "model_ms_per_page_in_process":
              round(model_ms_per_page(site, 200), 2), "runs": results,
              "command": "PYTHONPATH=. python " + " ".join(sys.argv),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "pinning": "server CPU 0, crawl CPU 1" if _pin(0) else "none"}}
    import scrapy

    report["machine"]["scrapy"] = scrapy.__version__
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

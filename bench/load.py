"""Load on a real ``storyfilter serve`` over loopback, next to the in-process cost of the same page.

    python bench/load.py [--page FILE] [--workers 1 2] [--concurrency 1 8 32] [--requests 400]
                         [--client-cpus 0] [--server-cpus 1] [--json bench/results/load.json]

For each worker count the script starts the server itself on a free port
(pinned with ``taskset`` to ``--server-cpus``), waits until every worker is
ready, then sends the same ``POST /v1/score`` from 1, 8 and 32 threads (one
keep-alive httpx client each; the client process pinned to ``--client-cpus``).
Reported per level: throughput, p50/p95/p99 latency, errors (any non-200),
and RSS of the server processes (current and peak, summed over the process
tree, from /proc) before and after. The in-process cost is the median of
``StoryFilter.filter_html`` on the same page, measured on the server's CPUs;
HTTP overhead = p50 at concurrency 1 minus that median.

The page defaults to the median-size page of ../shared/data/wcxb-dev/html when
present, else examples/article.html.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import httpx  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' server helper
from service_process import running_server as start_server  # noqa: E402

if TYPE_CHECKING:
    from classifier.api import StoryFilter

REPO = Path(__file__).resolve().parent.parent
WCXB_HTML = REPO.parent / "shared" / "data" / "wcxb-dev" / "html"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def read_page(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", errors="replace")


def default_page() -> Path:
    """A typical page: the median-size one of wcxb-dev (by decoded size), else the bundled example."""
    files = sorted(WCXB_HTML.glob("*.html.gz")) if WCXB_HTML.is_dir() else []
    if not files:
        return REPO / "examples" / "article.html"
    sized = sorted(files, key=lambda f: len(gzip.decompress(f.read_bytes())))
    return sized[len(sized) // 2]


def pin(cpus: set[int]) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def cpu_set(text: str) -> set[int]:
    """A taskset-style list ("0,1"); empty means every CPU."""
    return {int(c) for c in text.split(",")} if text else set(range(os.cpu_count() or 1))


def in_process_ms(html: str, model: "StoryFilter", cpus: set[int], repeat: int) -> dict:
    """Median and p95 of filter_html on the server's CPUs: the floor any HTTP latency sits on."""
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pin(cpus)
    try:
        for _ in range(5):
            model.filter_html(html)
        times, with_json = [], []
        body = json.dumps({"html": html}).encode()
        for _ in range(repeat):
            t0 = time.perf_counter()
            model.filter_html(html)
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            json_round_trip(model, body)
            with_json.append((time.perf_counter() - t0) * 1000)
    finally:
        if before is not None:
            pin(before)
    return {"median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "runs": repeat,
            "with_json_median_ms": statistics.median(with_json)}


def paired_overhead(base: str, html: str, model: "StoryFilter", server_cpus: set[int], rounds: int,
                    per_round: int) -> dict:
    """HTTP overhead measured in alternating rounds at concurrency 1: ``per_round`` in-process calls
    on the server's CPUs, then ``per_round`` requests; overhead = HTTP median minus in-process
    median of the same round. Both halves of a round see the same machine, so a noisy
    neighbour moves both instead of only one (the levels' overhead compares two separate runs)."""
    body = json.dumps({"html": html}).encode()
    headers = {"content-type": "application/json"}
    client_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    diffs, http_medians, inproc_medians = [], [], []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/v1/score", content=body, headers=headers)
        for _ in range(rounds):
            pin(server_cpus)
            inproc = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                model.filter_html(html)
                inproc.append((time.perf_counter() - t0) * 1000)
            if client_cpus is not None:
                pin(client_cpus)
            http = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                r = client.post("/v1/score", content=body, headers=headers)
                http.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    sys.exit(f"overhead round: {r.status_code} {r.text[:200]}")
            http_medians.append(statistics.median(http))
            inproc_medians.append(statistics.median(inproc))
            diffs.append(http_medians[-1] - inproc_medians[-1])
    return {"rounds": rounds, "per_round": per_round, "overhead_ms_median": round(statistics.median(diffs), 2),
            "overhead_ms_min": round(min(diffs), 2), "overhead_ms_max": round(max(diffs), 2),
            "http_p50_ms_median": round(statistics.median(http_medians), 2),
            "in_process_ms_median": round(statistics.median(inproc_medians), 2)}


def json_round_trip(model: "StoryFilter", body: bytes) -> bytes:
    """What the endpoint does around the model, minus HTTP: parse and validate the body, answer in JSON."""
    from serving.schemas import ScoreRequest

    from serving.responses import FastJSONResponse

    req = ScoreRequest.model_validate_json(body)
    return FastJSONResponse(model.filter_html(req.page).to_dict()).body


# ----- server process ---------------------------------------------------------------------------
def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (uvicorn's supervisor forks/spawns one process per worker)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += children
        frontier = children
    return tree


def rss_mb(root: int) -> dict:
    """Current (VmRSS) and peak (VmHWM) resident memory, summed over the server's process tree."""
    total = {"rss_mb": 0.0, "peak_rss_mb": 0.0, "processes": 0}
    for pid in process_tree(root):
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        except OSError:
            continue
        total["rss_mb"] += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        total["peak_rss_mb"] += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        total["processes"] += 1
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in total.items()}


def wait_ready(base: str, proc: subprocess.Popen, workers: int, timeout: float = 180) -> None:
    """Every worker loads its own model: wait for many 200s in a row on fresh connections."""
    give_up, streak = time.monotonic() + timeout, 0
    while streak < 10 * workers:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}: {proc.stdout.read().decode() if proc.stdout else ''}")
        if time.monotonic() > give_up:
            sys.exit("server not ready in time")
        try:
            ok = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        if not ok:
            time.sleep(0.2)


@contextmanager
def running_server(workers: int, cpus: str, model_dir: Path | None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The server pinned to ``cpus``, once every worker has loaded its model."""
    args = ["--workers", str(workers), *(["--model", str(model_dir)] if model_dir else [])]
    with start_server(args, prefix=("taskset", "-c", cpus) if cpus else ()) as (base, proc):
        wait_ready(base, proc, workers)
        yield base, proc


# ----- load -------------------------------------------------------------------------------------
def run_level(base: str, body: bytes, concurrency: int, requests: int, path: str = "/v1/score") -> dict:
    """``requests`` POSTs spread over ``concurrency`` threads, each with its own keep-alive connection.

    ``path="/healthz"`` sends GETs instead: the HTTP stack's own round trip, with no page and no model.
    """
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_thread = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    start_gate = threading.Barrier(concurrency + 1)
    headers = {"content-type": "application/json"}
    expected = b"{" if path == "/healthz" else b'{"model"'  # a scoring result, not an error body

    def worker(count: int) -> None:
        mine, bad = [], []
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/healthz")  # open the connection before the clock starts
            start_gate.wait()
            for _ in range(count):
                t0 = time.perf_counter()
                try:
                    if path == "/healthz":
                        r = client.get(path)
                    else:
                        r = client.post(path, content=body, headers=headers)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200 or not r.content.startswith(expected):
                        bad.append(f"{r.status_code}: {r.text[:200]}")
                    mine.append(elapsed)
                except httpx.HTTPError as err:
                    bad.append(repr(err))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(n,)) for n in per_thread]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"concurrency": concurrency, "requests": requests, "errors": len(errors), "error_samples": errors[:3],
            "seconds": round(wall, 3), "throughput_rps": round(requests / wall, 1),
            "p50_ms": round(percentile(latencies, 0.50), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2)}


def bench_workers(workers: int, cpus: str, html: str, levels: list[int], requests: int,
                  model_dir: Path | None, model: "StoryFilter", rounds: int) -> dict:
    body = json.dumps({"html": html}).encode()
    with running_server(workers, cpus, model_dir) as (base, proc):
        run_level(base, body, max(levels), max(requests // 4, 4 * max(levels)))  # warm up every worker
        out = []
        healthz = run_level(base, body, 1, requests, path="/healthz")
        paired = paired_overhead(base, html, model, cpu_set(cpus), rounds, per_round=100)
        print(f"  workers={workers} paired overhead {paired['overhead_ms_median']} ms "
              f"({paired['overhead_ms_min']}–{paired['overhead_ms_max']})", file=sys.stderr)
        for level in levels:
            before = rss_mb(proc.pid)
            result = run_level(base, body, level, requests)
            result["rss_before"], result["rss_after"] = before, rss_mb(proc.pid)
            out.append(result)
            print(f"  workers={workers} c={level}: {result['throughput_rps']} req/s, p50 {result['p50_ms']} ms, "
                  f"errors {result['errors']}", file=sys.stderr)
    return {"workers": workers, "server_cpus": cpus, "levels": out, "healthz_p50_ms": healthz["p50_ms"],
            "paired_overhead": paired}


def markdown(results: dict) -> str:
    inproc = results["in_process"]["median_ms"]
    lines = [f"page: {results['page']['name']} ({results['page']['kb']} KB, {results['page']['blocks']} blocks); "
             f"in-process filter_html median {inproc:.2f} ms", "",
             "| workers | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | server RSS MB before → after "
             "(peak after) |", "|---|---|---|---|---|---|---|---|"]
    for run in results["runs"]:
        for lv in run["levels"]:
            lines.append(f"| {run['workers']} | {lv['concurrency']} | {lv['throughput_rps']} | {lv['p50_ms']} | "
                         f"{lv['p95_ms']} | {lv['p99_ms']} | {lv['errors']}/{lv['requests']} | "
                         f"{lv['rss_before']['rss_mb']} → {lv['rss_after']['rss_mb']} "
                         f"({lv['rss_after']['peak_rss_mb']}) |")
    lines += ["", "HTTP overhead (p50 at concurrency 1 minus the in-process median): "
              + ", ".join(f"{r['workers']} worker(s) {r['http_overhead_ms']:.2f} ms" for r in results["runs"]),
              "paired HTTP overhead (median of alternating rounds, min–max): "
              + ", ".join(f"{r['workers']} worker(s) {r['paired_overhead']['overhead_ms_median']:.2f} ms "
                          f"({r['paired_overhead']['overhead_ms_min']:.2f}–{r['paired_overhead']['overhead_ms_max']:.2f})"
                          for r in results["runs"]),
              f"of which JSON parse/validate/serialise in process: "
              f"{results['in_process']['with_json_median_ms'] - inproc:.2f} ms; "
              "GET /healthz p50 at concurrency 1 (HTTP round trip alone): "
              + ", ".join(f"{r['workers']} worker(s) {r['healthz_p50_ms']:.2f} ms" for r in results["runs"])]
    return "\n".join(lines)


def uvicorn_version() -> str:
    from importlib.metadata import version

    return version("uvicorn")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", type=Path, default=None, help="an .html or .html.gz page (default: see above)")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: shipped)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--client-cpus", default="0", help="CPUs of this load generator ('' for no pinning)")
    parser.add_argument("--server-cpus", nargs="+", default=["1", "0,1"],
                        help="taskset CPU list per --workers entry ('' for no pinning)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating in-process/HTTP rounds of 100 for the paired overhead")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    page_path = args.page or default_page()
    html = read_page(page_path)
    server_cpus = (args.server_cpus * len(args.workers))[: len(args.workers)]

    from classifier import load_model
    model = load_model(args.model)
    blocks = len(model.filter_html(html).blocks)
    inproc = in_process_ms(html, model, cpu_set(server_cpus[0]), repeat=200)
    if args.client_cpus:
        pin(cpu_set(args.client_cpus))
    runs = []
    for workers, cpus in zip(args.workers, server_cpus):
        run = bench_workers(workers, cpus, html, args.concurrency, args.requests, args.model, model, args.rounds)
        first = next((lv for lv in run["levels"] if lv["concurrency"] == 1), None)
        run["http_overhead_ms"] = round(first["p50_ms"] - inproc["median_ms"], 2) if first else None
        runs.append(run)
    results = {"page": {"name": page_path.name, "kb": round(len(html.encode()) / 1024, 1), "blocks": blocks},
               "in_process": {k: round(v, 2) if isinstance(v, float) else v for k, v in inproc.items()},
               "client_cpus": args.client_cpus, "runs": runs,
               "machine": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                           "httpx": httpx.__version__, "uvicorn": uvicorn_version()}}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    if any(lv["errors"] for run in runs for lv in run["levels"]):
        sys.exit("errors under load")


if __name__ == "__main__":
    main()

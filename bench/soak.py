"""Memory soak: a real ``storyfilter serve`` under steady mixed load for minutes; does its memory stay flat?

    PYTHONPATH=. python bench/soak.py [--minutes 5] [--concurrency 8] [--workers 1]
                                      [--json bench/results/soak.json]
    PYTHONPATH=. python bench/soak.py --hostile 1000 [--json bench/results/soak_hostile.json]

The server is started on a free port (pinned to ``--server-cpus``), warmed up,
then ``--concurrency`` threads send requests for ``--minutes``, cycling through
many different pages (the 200 pages around the median size of
../shared/data/wcxb-dev when present, else generated test-style pages), with a
batch of 8 pages every 25th request and a binary page (answered 400) every
50th, so that the error paths run too. The resident memory of the server's
process tree is sampled every 5 s. Reported: RSS when the warm-up ends, at the
end and at its highest, growth from warm-up to end (target: under 10%),
requests, answers by status, and unexpected answers (anything but 200, and 400
for the binary page).

With ``--hostile N``, the soak after the warm-up is N pages of the seeded hostile
generator (tests/hostile_pages.py: deep and wide trees, attribute floods, giant
text, binary and mis-encoded bytes, mutated pages; bytes are sent as Latin-1
text, which the service must refuse as binary), then ``--minutes`` of the normal
load again. Right answers are 200 and the service's refusals (400, 413, 422, 503);
a 500, a dropped connection or a timeout is unexpected. Target: RSS at the end
within 1.5x of RSS after the warm-up (memory returns after large requests).
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from load import REPO, WCXB_HTML, percentile, pin, cpu_set, rss_mb, running_server

BINARY = "\x00\x01\x02\x03\xfe\xff" * 200


def soak_pages(count: int = 200) -> list[str]:
    """Many different pages of typical size: the wcxb pages around the median, else generated ones."""
    files = sorted(WCXB_HTML.glob("*.html.gz")) if WCXB_HTML.is_dir() else []
    if files:
        pages = [gzip.decompress(f.read_bytes()).decode("utf-8", errors="replace") for f in files]
        pages.sort(key=len)
        middle = len(pages) // 2
        return pages[max(0, middle - count // 2): middle + count // 2]
    sys.path.insert(0, str(REPO / "tests"))
    from synthetic import make_pages

    return [p.html for p in make_pages(20, count // 20, seed=11)]


def request_for(i: int, pages: list[str], rng: random.Random) -> tuple[str, dict, set[int]]:
    """The i-th request of a thread: path, JSON body and the statuses that count as right."""
    if i % 50 == 49:
        return "/v1/score", {"text": BINARY}, {400}
    if i % 25 == 24:
        return "/v1/score/batch", {"pages": [{"html": rng.choice(pages)} for _ in range(8)]}, {200}
    return "/v1/score", {"html": rng.choice(pages), "include_blocks": i % 2 == 0}, {200}


HOSTILE_OK = {200, 400, 413, 422, 503}  # scored, or refused with the service's own error


def hostile_requests(count: int, seed: int = 15, max_chars: int = 300_000) -> list[tuple[str, str]]:
    """``(family, page text)`` from the fuzz generator; bytes become Latin-1 text (one char a byte)."""
    sys.path.insert(0, str(REPO / "tests"))
    from hostile_pages import hostile_pages

    return [(family, page.decode("latin-1") if isinstance(page, bytes) else page)
            for family, page in hostile_pages(seed, count, max_chars)]


def send_hostile(base: str, root_pid: int, pages: list[tuple[str, str]], concurrency: int) -> dict:
    """Every hostile page once, spread over ``concurrency`` threads; the answers counted."""
    statuses: Counter[int] = Counter()
    unexpected: list[str] = []
    lock = threading.Lock()
    queue = list(enumerate(pages))

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    index, (family, page) = queue.pop()
                key = "text" if family in ("blank lines", "giant text") and index % 2 else "html"
                try:
                    status = client.post("/v1/score", json={key: page}).status_code
                except httpx.HTTPError as err:
                    status, note = -1, repr(err)
                with lock:
                    statuses[status] += 1
                    if status not in HOSTILE_OK:
                        unexpected.append(f"case {index} ({family}, {len(page)} chars): "
                                          f"{note if status == -1 else status}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        print(f"  hostile: {sum(statuses.values())}/{len(pages)}  RSS {rss_mb(root_pid)['rss_mb']} MB",
              file=sys.stderr)
        time.sleep(5)
    return {"statuses": {str(k): v for k, v in sorted(statuses.items())}, "requests": sum(statuses.values()),
            "unexpected": len(unexpected), "unexpected_samples": unexpected[:5]}


def soak(base: str, root_pid: int, pages: list[str], concurrency: int, seconds: float,
         sample_every: float = 5.0) -> dict:
    stop = time.monotonic() + seconds
    statuses: Counter[int] = Counter()
    unexpected: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: Counter[int] = Counter()
        times: list[float] = []
        bad: list[str] = []
        i = 0
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.monotonic() < stop:
                path, body, ok = request_for(i, pages, rng)
                t0 = time.perf_counter()
                try:
                    r = client.post(path, json=body)
                    times.append((time.perf_counter() - t0) * 1000)
                    mine[r.status_code] += 1
                    if r.status_code not in ok:
                        bad.append(f"{path} {r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as err:
                    bad.append(f"{path}: {err!r}")
                i += 1
        with lock:
            statuses.update(mine)
            latencies.extend(times)
            unexpected.extend(bad)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    samples = []
    while any(t.is_alive() for t in threads):
        samples.append({"t": round(time.monotonic() - started, 1), **rss_mb(root_pid)})
        print(f"  {samples[-1]['t']:6.1f} s  RSS {samples[-1]['rss_mb']} MB  "
              f"requests {sum(statuses.values()) or '…'}", file=sys.stderr)
        time.sleep(sample_every)
    for t in threads:
        t.join()
    samples.append({"t": round(time.monotonic() - started, 1), **rss_mb(root_pid)})
    return {"samples": samples, "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "requests": sum(statuses.values()), "unexpected": len(unexpected), "unexpected_samples": unexpected[:3],
            "p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of the same load before measuring")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: shipped)")
    parser.add_argument("--client-cpus", default="0", help="CPUs of this load generator ('' for no pinning)")
    parser.add_argument("--server-cpus", default="1", help="taskset CPU list of the server ('' for no pinning)")
    parser.add_argument("--hostile", type=int, default=0, metavar="N",
                        help="send N hostile pages after the warm-up, then --minutes of normal load")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    return parser.parse_args()


def write_results(path: Path | None, results: dict) -> None:
    """The run's figures as JSON, when a path was given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n")


def main_hostile(args: argparse.Namespace, pages: list[str]) -> None:
    """Warm up, send the hostile pages, run the normal load again: does memory come back?"""
    hostile = hostile_requests(args.hostile)
    with running_server(args.workers, args.server_cpus, args.model) as (base, proc):
        soak(base, proc.pid, pages, args.concurrency, args.warmup)
        start = rss_mb(proc.pid)["rss_mb"]
        print(f"{len(hostile)} hostile pages from RSS {start} MB", file=sys.stderr)
        attack = send_hostile(base, proc.pid, hostile, args.concurrency)
        after_attack = rss_mb(proc.pid)["rss_mb"]
        run = soak(base, proc.pid, pages, args.concurrency, args.minutes * 60)
    end = run["samples"][-1]["rss_mb"]
    ratio = end / start
    results = {"hostile_pages": len(hostile), "minutes_after": args.minutes, "warmup_s": args.warmup,
               "concurrency": args.concurrency, "workers": args.workers, "rss_after_warmup_mb": start,
               "rss_after_hostile_mb": after_attack, "rss_end_mb": end, "end_over_warmup": round(ratio, 3),
               "hostile": attack, "after": {k: v for k, v in run.items() if k != "samples"}}
    write_results(args.json, results)
    print(f"RSS {start} MB after warm-up, {after_attack} MB after {len(hostile)} hostile pages "
          f"{attack['statuses']}, {end} MB after {args.minutes:g} min of normal load: {ratio:.2f}x; "
          f"unexpected {attack['unexpected'] + run['unexpected']}")
    if attack["unexpected"] or run["unexpected"]:
        sys.exit(f"unexpected answers: {attack['unexpected_samples'] + run['unexpected_samples']}")
    if ratio > 1.5:
        sys.exit("memory did not come back: more than 1.5x the RSS after warm-up")


def main() -> None:
    args = parse_args()
    pages = soak_pages()
    if args.client_cpus:
        pin(cpu_set(args.client_cpus))
    if args.hostile:
        main_hostile(args, pages)
        return
    with running_server(args.workers, args.server_cpus, args.model) as (base, proc):
        print(f"warm-up {args.warmup:.0f} s", file=sys.stderr)
        soak(base, proc.pid, pages, args.concurrency, args.warmup)
        start = rss_mb(proc.pid)
        print(f"soak {args.minutes:g} min from RSS {start['rss_mb']} MB", file=sys.stderr)
        run = soak(base, proc.pid, pages, args.concurrency, args.minutes * 60)
    end = run["samples"][-1]
    highest = max(s["rss_mb"] for s in run["samples"])
    growth = (end["rss_mb"] - start["rss_mb"]) / start["rss_mb"] * 100
    results = {"minutes": args.minutes, "warmup_s": args.warmup, "concurrency": args.concurrency,
               "workers": args.workers, "pages": len(pages), "rss_start_mb": start["rss_mb"],
               "rss_end_mb": end["rss_mb"], "rss_highest_mb": highest, "growth_percent": round(growth, 2),
               **{k: v for k, v in run.items() if k != "samples"}, "samples": run["samples"]}
    write_results(args.json, results)
    print(f"RSS {start['rss_mb']} MB after warm-up → {end['rss_mb']} MB after {args.minutes:g} min "
          f"(highest {highest} MB): {growth:+.1f}%; {run['requests']} requests {run['statuses']}, "
          f"{run['unexpected']} unexpected; p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms")
    if run["unexpected"]:
        sys.exit("unexpected answers during the soak")
    if growth >= 10:
        sys.exit("memory grew by 10% or more")


if __name__ == "__main__":
    main()

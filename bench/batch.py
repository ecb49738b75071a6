"""Batch throughput: pages/s on 1 and 2 workers, FastWARC vs warcio, Spark local mode, peak RSS.

    PYTHONPATH=. python bench/batch.py [--data ../shared/data/wcxb-dev] [--copies 3] [--files 4]

Builds WARC files (in a temporary folder, never in the repository) from the wcxb-dev pages
when present (each page ``--copies`` times under different URIs, spread over ``--files``
``.warc.gz`` files, one gzip member per record as Common Crawl writes them), else from pages
written here. Then, in one run:

* read speed of FastWARC and warcio over the same files (records/s, MB/s, best of 3);
* ``run_batch`` on 1 and on 2 worker processes, each in a fresh process (pages/s, wall time
  with start-up, peak RSS of each worker process and of the main process);
* the Spark job in ``local[2]`` mode (cold: first job of the session; warm: a second run).

Writes ``bench/results/batch.json``.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def load_bodies(data: Path | None) -> list[bytes]:
    """HTML pages to pack: wcxb-dev pages read at bench time, else synthetic ones."""
    if data is not None and (data / "html").is_dir():
        files = sorted((data / "html").glob("*.html*"))
        return [gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes() for f in files]
    sys.path.insert(0, str(REPO / "tests"))
    from batch_pages import story_html

    return [story_html(i).encode("utf-8") for i in range(500)]


def build_warcs(bodies: list[bytes], folder: Path, copies: int, files: int) -> list[Path]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paths = [folder / f"bench-{i:02d}.warc.gz" for i in range(files)]
    handles = [p.open("wb") for p in paths]
    writers = [WARCWriter(h, gzip=True) for h in handles]
    n = 0
    for copy in range(copies):
        for i, body in enumerate(bodies):
            w = writers[n % files]
            uri = f"https://bench.example/{copy}/{i}"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http))
            n += 1
    for h in handles:
        h.close()
    return paths


def read_fastwarc(paths: list[Path]) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    records = size = 0
    for p in paths:
        with p.open("rb") as f:
            for r in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                size += len(r.reader.read())
                records += 1
    return records, size


def read_warcio(paths: list[Path]) -> tuple[int, int]:
    from warcio.archiveiterator import ArchiveIterator

    records = size = 0
    for p in paths:
        with p.open("rb") as f:
            for r in ArchiveIterator(f):
                if r.rec_type == "response":
                    size += len(r.content_stream().read())
                    records += 1
    return records, size


def best_of(fn, paths, repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        records, size = fn(paths)
        times.append(time.perf_counter() - t)
    best = min(times)
    return {"records": records, "seconds": round(best, 3), "records_per_s": round(records / best),
            "mb_per_s": round(size / best / 1e6, 1)}


_LOCAL_RUN = """
import json, sys, time
from serving.batch import run_batch
if __name__ == "__main__":
    paths, out, workers = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    t = time.perf_counter()
    s = run_batch(paths, out, workers=workers, overwrite=True, progress=False)
    print(json.dumps({"pages": s.pages, "errors": s.errors, "seconds": s.seconds, "wall": time.perf_counter() - t,
                      "pages_per_s": s.pages_per_second, "rss": sorted(s.peak_rss_mib.values()),
                      "main_rss": s.reader_peak_rss_mib, "worker_cpu": sum(s.worker_cpu_s.values()),
                      "main_cpu": s.reader_cpu_s}))
"""


def bench_local(paths: list[Path], workers: int, out_dir: Path) -> dict:
    """``run_batch`` in a fresh process, so its peak memory is its own, not this script's."""
    import subprocess

    script = out_dir / "local_run.py"
    script.write_text(_LOCAL_RUN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script), json.dumps([str(p) for p in paths]),
                           str(out_dir / f"local-{workers}.parquet"), str(workers)],
                          env=env, check=True, capture_output=True, text=True)
    s = json.loads(done.stdout.strip().splitlines()[-1])
    return {"workers": workers, "pages": s["pages"], "errors": s["errors"], "seconds": round(s["seconds"], 2),
            "pages_per_s": round(s["pages_per_s"], 1), "wall_with_model_load_s": round(s["wall"], 2),
            "peak_rss_mib_per_worker": [round(v) for v in s["rss"]],
            "peak_rss_mib_main_process": round(s["main_rss"]),
            # CPU time per page does not depend on what else runs on the machine
            "worker_cpu_ms_per_page": round(1000 * s["worker_cpu"] / max(1, s["pages"]), 2),
            "main_process_cpu_ms_per_page": round(1000 * s["main_cpu"] / max(1, s["pages"]), 2),
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def bench_spark(paths: list[Path], out_dir: Path) -> dict:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    from serving.batch import BatchOptions
    from serving.batch.spark import build_session, run_spark_batch

    t = time.perf_counter()
    spark = build_session("local[2]", app_name="storyfilter-bench")
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t
    cold = run_spark_batch([str(p) for p in paths], str(out_dir / "spark.parquet"), BatchOptions(),
                           overwrite=True, spark=spark)
    warm = run_spark_batch([str(p) for p in paths], str(out_dir / "spark.parquet"), BatchOptions(),
                           overwrite=True, spark=spark)
    spark.stop()
    return {"master": "local[2]", "tasks": len(paths), "session_start_s": round(startup, 1),
            "pages": warm["rows"], "cold_seconds": round(cold["seconds"], 2),
            "cold_pages_per_s": round(cold["rows"] / cold["seconds"], 1),
            "warm_seconds": round(warm["seconds"], 2), "warm_pages_per_s": round(warm["rows"] / warm["seconds"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--only-local", action="store_true", help="skip the read comparison and Spark")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "batch.json")
    args = parser.parse_args()
    bodies = load_bodies(args.data)
    distinct = len(bodies)
    with tempfile.TemporaryDirectory(prefix="storyfilter-bench-") as tmp:
        folder = Path(tmp)
        paths = build_warcs(bodies, folder, args.copies, args.files)
        del bodies
        size = sum(p.stat().st_size for p in paths)
        result = {
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
            "input": {"source": "wcxb-dev" if (args.data / "html").is_dir() else "synthetic",
                      "distinct_pages": distinct, "copies": args.copies, "warc_files": len(paths),
                      "warc_gz_mb": round(size / 1e6, 1)},
        }
        if not args.only_local:
            result["read"] = {"fastwarc": best_of(read_fastwarc, paths), "warcio": best_of(read_warcio, paths)}
            print(json.dumps(result["read"]), flush=True)
        result["local"] = [bench_local(paths, w, folder) for w in (1, 2)]
        one, two = result["local"]
        result["local_scaling_1_to_2"] = round(two["pages_per_s"] / one["pages_per_s"], 2)
        print(json.dumps(result["local"]), flush=True)
        if not (args.no_spark or args.only_local):
            result["spark"] = bench_spark(paths, folder)
            print(json.dumps(result["spark"]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

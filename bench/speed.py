"""Speed of storyfilter on one core: decode + parse + segment + score, per page.

    python bench/speed.py ../shared/data/wcxb-dev [--pages 0] [--model DIR] [--json bench/results/speed.json]

Reports the median and p95 ms/page (each stage timed separately too), model
load time and peak memory (max RSS). Pin to one core with ``taskset -c 0`` for
stable numbers; the script also limits BLAS threads to one.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder with html/*.html.gz (wcxb-dev layout) or *.html files")
    parser.add_argument("--pages", type=int, default=0, help="use the first N pages (0: all)")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: shipped)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the pages (the median is over all)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()

    html_dir = args.corpus / "html" if (args.corpus / "html").is_dir() else args.corpus
    files = sorted(html_dir.glob("*.html.gz")) + sorted(html_dir.glob("*.html"))
    if args.pages:
        files = files[: args.pages]
    if not files:
        sys.exit(f"no *.html or *.html.gz pages in {html_dir}")
    pages = [gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes() for f in files]

    start = time.perf_counter()
    from classifier import load_model
    from classifier.decoding import decode_bytes
    from classifier.html_segmenter import segment_html
    model = load_model(args.model)
    load_seconds = time.perf_counter() - start
    html_model = model.model_for("html")

    total, decode_t, segment_t, score_t, blocks = [], [], [], [], []
    for _ in range(args.repeat):
        for raw in pages:
            t0 = time.perf_counter()
            text, _ = decode_bytes(raw, reject_binary=False)
            t1 = time.perf_counter()
            page_blocks = segment_html(text, model.limits)
            t2 = time.perf_counter()
            model.score_blocks(page_blocks, "html")
            t3 = time.perf_counter()
            decode_t.append(t1 - t0)
            segment_t.append(t2 - t1)
            score_t.append(t3 - t2)
            total.append(t3 - t0)
            blocks.append(len(page_blocks))

    def ms(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values) * 1000, 3), "p95": round(percentile(values, 0.95) * 1000, 3),
                "mean": round(statistics.mean(values) * 1000, 3)}

    result = {
        "pages": len(pages), "repeat": args.repeat, "median_page_kb": round(statistics.median(map(len, pages)) / 1024, 1),
        "median_blocks": statistics.median(blocks),
        "ms_per_page": ms(total), "decode_ms": ms(decode_t), "parse_segment_ms": ms(segment_t), "score_ms": ms(score_t),
        "model_load_seconds": round(load_seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "model": {"name": html_model.name, "version": html_model.version},
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

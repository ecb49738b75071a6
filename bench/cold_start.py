"""Cold start: a fresh `storyfilter extract` process against a fresh `trafilatura` process, same page.

    python bench/cold_start.py [PAGE] [--runs 5] [--json bench/results/cold_start.json]

Each run starts both console scripts (installed beside this interpreter) with the page
on standard input and waits for the story on standard output; the two alternate, so
both see the same machine. Reported per tool: the median wall-clock seconds and the
median CPU seconds of the process (user + system, from the kernel's accounting), which
stays meaningful on a busy machine. PAGE defaults to the first wcxb-dev page
(``../shared/data/wcxb-dev``) or, without it, ``examples/pages``' first HTML page;
``.gz`` pages are decompressed first (trafilatura reads plain HTML only).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WCXB = ROOT.parent / "shared" / "data" / "wcxb-dev" / "html"


def default_page() -> Path:
    pages = sorted(WCXB.glob("*.html.gz")) if WCXB.is_dir() else []
    return pages[0] if pages else sorted((ROOT / "examples" / "pages").rglob("*.html"))[0]


def console_script(name: str) -> str:
    """The tool's console script installed with this interpreter."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path}: not installed (pip install 'storyfilter[bench]')")
    return str(path)


def run_once(command: list[str], page: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and output bytes of one cold run."""
    with page.open("rb") as stdin:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, len(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", type=Path, nargs="?", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    source = args.page or default_page()
    data = source.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        page.write_bytes(data)
        tools = {"storyfilter": [console_script("storyfilter"), "extract", "-"],
                 "trafilatura": [console_script("trafilatura")]}
        for command in tools.values():  # warm the file cache: a cold process, not a cold disk
            run_once(command, page)
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, command in tools.items():
                runs[name].append(run_once(command, page))
    result = {"page": source.name, "page_bytes": len(data), "runs": args.runs,
              "python": platform.python_version(), "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in os.getloadavg()], "tools": {}}
    for name, values in runs.items():
        result["tools"][name] = {"median_wall_s": round(statistics.median(v[0] for v in values), 3),
                                 "median_cpu_s": round(statistics.median(v[1] for v in values), 3),
                                 "wall_s": [round(v[0], 3) for v in values],
                                 "cpu_s": [round(v[1], 3) for v in values], "output_bytes": values[-1][2]}
    ours, theirs = result["tools"]["storyfilter"], result["tools"]["trafilatura"]
    result["ratio_wall"] = round(ours["median_wall_s"] / theirs["median_wall_s"], 2)
    result["ratio_cpu"] = round(ours["median_cpu_s"] / theirs["median_cpu_s"], 2)
    for name, figures in result["tools"].items():
        print(f"{name:12s} median {figures['median_wall_s']:.3f} s wall, {figures['median_cpu_s']:.3f} s CPU "
              f"({args.runs} cold runs)")
    print(f"storyfilter / trafilatura: {result['ratio_wall']}x wall, {result['ratio_cpu']}x CPU "
          f"(load average {result['load_average'][0]})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

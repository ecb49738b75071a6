"""The hostile page shapes (H1-H4, M1, S1 in docs/fuzzing.md), each timed in a fresh process with its peak memory.

    PYTHONPATH=. python bench/hostile.py [--timeout 90] [--only H1,H3] [--json OUT]

Every shape runs in its own child process (so one shape's memory does not hide
another's): the child segments the page and reports wall time and the growth of
its peak RSS over the baseline after imports. A child still running after
``--timeout`` seconds is killed and reported as a timeout. The budget a shape must
meet (``within_budget``): at most 0.1 s + 2 s per MB of CPU time (wall time on a shared
machine measures the neighbours too) and at most 300 MB above the baseline, or a
``LimitError``. The shapes: H1-H4, M1, S1 at their original sizes, and neighbours.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable


def _h1() -> str:
    return "<div " + " ".join(f'a{i}=">"' for i in range(139_000)) + ">"


def _h2() -> str:
    return "<div>x</div " + " ".join(f"a{i}" for i in range(245_000)) + ">"


def _h3() -> str:
    return "<noscript>" + "<div>" * 80_000


def _h4() -> str:
    return "<select>" + "<option>x" * 80_000


def _h4b() -> str:
    return "<select><option>x" * 40_000


def _m1() -> str:
    return "<table>" + "<!---->x" * 234_000 + "</table>"


def _s1() -> str:
    return "\n" * 16_000_000 + "word"


def _m1_long() -> str:  # M1 with longer texts between the comments
    return "<table>" + ("<!---->" + "x" * 80) * 20_000


def _r1() -> str:  # formatting elements re-opened before every paragraph
    return "<p>" + "".join(f"<b a{i}>" for i in range(700)) + "<p>x" * 1250


def _d1() -> str:  # self-closed divs nest in HTML
    return "<div/>" * 20_000


def _d2() -> str:  # a span's end tag does not close the div inside it
    return "<span><div></span>" * 20_000


def _d3() -> str:  # nor does </body>
    return "<div></body>" * 20_000


def _h3_template() -> str:  # template contents are their own fragment
    return "<template>" + "<div>" * 80_000


def _h3_noembed() -> str:  # raw text to the parser: no nesting at all
    return "<noembed>" + "<div>" * 80_000


def _h4_datalist() -> str:  # options outside a select
    return "<datalist>" + "<option>x" * 80_000


def _h4_optgroups() -> str:  # outside a select, optgroups nest
    return "<datalist>" + "<optgroup><option>x" * 40_000


def _m1_cdata() -> str:  # outside <svg>/<math>, a bogus comment
    return "<table>" + "<![CDATA[c]]>x" * 120_000 + "</table>"


def _m1_pi() -> str:
    return "<table>" + "<?php echo 1 ?>x" * 100_000 + "</table>"


def _m1_doctype() -> str:
    return "<table>" + "<!DOCTYPE html>x" * 100_000 + "</table>"


#: name -> (page builder, mode)
SHAPES: dict[str, tuple[Callable[[], str], str]] = {
    "H1": (_h1, "html"), "H2": (_h2, "html"), "H3": (_h3, "html"), "H4": (_h4, "html"),
    "H4-nested": (_h4b, "html"), "M1": (_m1, "html"), "M1-long": (_m1_long, "html"), "S1": (_s1, "text"),
    "R1": (_r1, "html"), "D1": (_d1, "html"), "D2": (_d2, "html"), "D3": (_d3, "html"),
    "H3-template": (_h3_template, "html"), "H3-noembed": (_h3_noembed, "html"),
    "H4-datalist": (_h4_datalist, "html"), "H4-optgroups": (_h4_optgroups, "html"),
    "M1-cdata": (_m1_cdata, "html"), "M1-pi": (_m1_pi, "html"), "M1-doctype": (_m1_doctype, "html"),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(name: str) -> dict:
    """Segment one shape in this process: its size, seconds, peak MB over baseline and outcome."""
    from classifier import InputError, StoryFilter

    build, mode = SHAPES[name]
    page = build()
    sf = StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model
    base = _peak_mb()
    start = time.perf_counter()
    cpu = time.process_time()
    try:
        blocks = sf.blocks(page, mode)
        outcome = f"{len(blocks)} blocks"
    except InputError as err:
        outcome = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    mb = len(page.encode()) / 1e6
    grown = _peak_mb() - base
    within = outcome.startswith("LimitError") or (cpu <= 0.1 + 2 * mb and grown <= 300)
    return {"shape": name, "mb": round(mb, 2), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "peak_mb_over_base": round(grown, 1), "within_budget": within, "outcome": outcome[:120]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--only", default="")
    parser.add_argument("--json", default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    names = [n for n in args.only.split(",") if n] or list(SHAPES)
    rows = []
    for name in names:
        try:
            done = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True,
                                  timeout=args.timeout, env={**os.environ, "PYTHONPATH": os.getcwd()})
            row = json.loads(done.stdout) if done.returncode == 0 else {"shape": name, "error": done.stderr[-300:]}
        except subprocess.TimeoutExpired:
            row = {"shape": name, "seconds": f"> {args.timeout:g}", "outcome": "timeout (killed)"}
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()

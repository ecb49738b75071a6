"""Per-page speed of two revisions side by side: bench/speed.py at each, rounds interleaved.

    python bench/speed_revisions.py f7a4f53^ HEAD ../shared/data/wcxb-dev --pages 400 --rounds 3 \
        [--json bench/results/speed_revisions.json]

A machine's speed drifts over minutes (other jobs, a VM's neighbours), so one run of
each revision after the other can show a difference that is only the drift. Here each
round runs both revisions, one after the other, in a fresh process pinned to one core,
and the order alternates between rounds; the result is the median over rounds of each
revision's median ms/page, and the ratio of the two per round. Each revision is checked
out in a temporary git worktree and timed with its own library and shipped model, by
the bench/speed.py of this checkout.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEED = ROOT / "bench" / "speed.py"
STAGES = ("ms_per_page", "parse_segment_ms", "score_ms")


def _resolve(revision: str) -> str:
    out = subprocess.run(["git", "rev-parse", "--verify", revision + "^{commit}"], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"not a revision of this repository: {revision}")
    return out.stdout.strip()


def _time(tree: Path, corpus: Path, pages: int) -> dict:
    """bench/speed.py with ``tree`` first on the path, on one core when taskset exists."""
    command = [sys.executable, str(SPEED), str(corpus), "--pages", str(pages)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(max(0, (os.cpu_count() or 1) - 1))] + command
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench/speed.py failed in {tree}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="the revision to compare against (e.g. a commit before a change)")
    parser.add_argument("after", help="the revision measured (e.g. HEAD)")
    parser.add_argument("corpus", type=Path, help="folder with html/*.html.gz (wcxb-dev layout) or *.html files")
    parser.add_argument("--pages", type=int, default=400, help="the first N pages (0: all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs both revisions")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    corpus = args.corpus.resolve()
    commits = {"before": _resolve(args.before), "after": _resolve(args.after)}
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="storyfilter-speed-") as scratch:
        trees = {}
        for name, commit in commits.items():
            tree = Path(scratch) / name
            subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), commit], cwd=ROOT, check=True)
            trees[name] = tree
        try:
            for round_ in range(args.rounds):
                order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
                for name in order:
                    result = _time(trees[name], corpus, args.pages)
                    runs[name].append(result)
                    print(f"round {round_ + 1}/{args.rounds} {name} ({commits[name][:10]}, model "
                          f"{result['model']['version']}): {result['ms_per_page']['median']:.3f} ms/page median",
                          file=sys.stderr)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    summary = {
        "pages": runs["after"][0]["pages"], "rounds": args.rounds,
        "revisions": {name: {"commit": commits[name], "revision": getattr(args, name),
                             "model": runs[name][0]["model"]["version"]} for name in commits},
        "median_ms": {name: {stage: round(statistics.median(r[stage]["median"] for r in runs[name]), 3)
                             for stage in STAGES} for name in commits},
        "ratio_after_to_before_per_round": [round(a["ms_per_page"]["median"] / b["ms_per_page"]["median"], 3)
                                            for a, b in zip(runs["after"], runs["before"])],
        "runs": runs,
    }
    summary["ratio_after_to_before"] = round(statistics.median(summary["ratio_after_to_before_per_round"]), 3)
    shown = {key: value for key, value in summary.items() if key != "runs"}
    print(json.dumps(shown, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

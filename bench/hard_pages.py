"""Figures of a model on the hand-labelled hard pages (``tests/pages/hard``).

    python bench/hard_pages.py [--model DIR] [--json OUT] [--hashed-classes]

Every page sits next to ``NAME.labels.json``: the role a reader gives each block
the shipped segmenter cuts (``story``, ``boilerplate``, ``teaser`` — boilerplate
that advertises other stories — or ``comment``). Figures count characters, so a
long paragraph weighs more than a one-word menu item:

* story recall: share of story characters the model keeps;
* teaser leak: share of teaser characters it keeps;
* boilerplate leak: the same for the other boilerplate (teasers not included);
* comment leak: the same for comments under an article.

Each page is printed, then each mode's set, pooled over its pages. The same
functions back ``tests/test_hard_pages.py``, so the figures here are the ones it asserts.

``--hashed-classes`` scores the HTML pages with every class and id name hashed
(:mod:`training.hashed_classes`, seeded by the page's name), as sites built with
CSS-in-JS print them: the same blocks, without a class word to lean on.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from classifier import load_model  # noqa: E402
from classifier.api import StoryFilter  # noqa: E402
from training.hashed_classes import hash_class_names  # noqa: E402

HARD = ROOT / "tests" / "pages" / "hard"
ROLES = ("story", "boilerplate", "teaser", "comment")
# figure name -> the role whose characters it counts
FIGURES = {"story_recall": "story", "teaser_leak": "teaser",
           "boilerplate_leak": "boilerplate", "comment_leak": "comment"}


class StaleLabels(ValueError):
    """The segmenter no longer cuts a page into the blocks its labels name."""


@dataclass
class PageFigures:
    """Characters per role on one page, and how many of them the model kept."""

    name: str
    mode: str
    kind: str
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    # (index, role, score, text) of every block on the wrong side of the threshold
    misses: list[tuple[int, str, float, str]] = field(default_factory=list)

    def rate(self, role: str) -> float | None:
        """Kept share of the role's characters; None when the page has none."""
        return self.kept[role] / self.total[role] if self.total[role] else None

    def figures(self) -> dict[str, float | None]:
        return {name: self.rate(role) for name, role in FIGURES.items()}


def label_files(mode: str | None = None) -> list[Path]:
    """The labels files, sorted, optionally of one mode (``html`` pages or ``text`` renderings)."""
    files = sorted(HARD.glob("*.labels.json"))
    if mode is None:
        return files
    suffix = ".html.labels.json" if mode == "html" else ".txt.labels.json"
    return [f for f in files if f.name.endswith(suffix)]


def load_labels(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def measure_page(model: StoryFilter, labels_path: Path, threshold: float | None = None,
                 hashed_classes: bool = False) -> PageFigures:
    """Score one labelled page and count kept characters per role (cut at the model's
    threshold, or at ``threshold``; ``hashed_classes``: an HTML page's class and id names hashed).

    Raises :class:`StaleLabels` if the page's blocks differ from the labelled ones, so a
    changed segmenter shows up as stale labels rather than as a model regression.
    """
    labels = load_labels(labels_path)
    page = (labels_path.parent / labels["page"]).read_text(encoding="utf-8")
    mode = labels["mode"]
    if hashed_classes and mode == "html":
        page = hash_class_names(page, random.Random(labels["page"]))
    blocks = model.blocks(page, mode)
    rows = labels["blocks"]
    if [b.text for b in blocks] != [row["text"] for row in rows]:
        raise StaleLabels(f"{labels['page']}: the segmenter's {len(blocks)} blocks differ from the "
                          f"{len(rows)} labelled ones; relabel the page")
    result = model.score_blocks(blocks, mode, threshold)
    figures = PageFigures(labels["page"], mode, labels["kind"])
    for row, scored in zip(rows, result.blocks):
        role, size, kept = row["role"], len(row["text"]), scored.label == "story"
        figures.total[role] += size
        figures.kept[role] += size if kept else 0
        if kept != (role == "story"):
            figures.misses.append((scored.index, role, scored.score, scored.text))
    return figures


def measure(model: StoryFilter, mode: str | None = None, threshold: float | None = None,
            hashed_classes: bool = False) -> list[PageFigures]:
    return [measure_page(model, path, threshold, hashed_classes) for path in label_files(mode)]


def pooled(pages: list[PageFigures]) -> dict[str, float | None]:
    """The set's figures: characters summed over its pages, so each character counts once."""
    total = {role: sum(p.total[role] for p in pages) for role in ROLES}
    kept = {role: sum(p.kept[role] for p in pages) for role in ROLES}
    return {name: kept[role] / total[role] if total[role] else None for name, role in FIGURES.items()}


def _cell(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def report(model: StoryFilter, misses: int = 0, threshold: float | None = None,
           hashed_classes: bool = False) -> dict:
    """Print the figures per page and per mode (``threshold``: one cut for both modes instead of
    each model's own; ``hashed_classes``: HTML pages without class words); return them as a dict."""
    header = f"{'page':34} {'story':>6} {'teaser':>6} {'boiler':>6} {'comment':>7}"
    out: dict = {"pages": {}, "sets": {}}
    for mode in ("html", "text"):
        pages = measure(model, mode, threshold, hashed_classes)
        print(f"\n{mode} mode  (story = recall; teaser, boiler, comment = leak)")
        print(header)
        for page in pages:
            f = page.figures()
            print(f"{page.name:34} {_cell(f['story_recall']):>6} {_cell(f['teaser_leak']):>6} "
                  f"{_cell(f['boilerplate_leak']):>6} {_cell(f['comment_leak']):>7}")
            out["pages"][page.name] = f
            worst = sorted(page.misses, key=lambda m: abs(m[2] - 0.5), reverse=True)[:misses]
            for index, role, score, text in worst:
                print(f"    #{index:<3} {role:11} {score:.2f}  {text[:70]}")
        f = pooled(pages)
        out["sets"][mode] = f
        print(f"{'ALL ' + mode + f' ({len(pages)} pages)':34} {_cell(f['story_recall']):>6} "
              f"{_cell(f['teaser_leak']):>6} {_cell(f['boilerplate_leak']):>6} {_cell(f['comment_leak']):>7}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the shipped models)")
    parser.add_argument("--misses", type=int, default=0, help="print the N most confident wrong blocks per page")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--threshold", type=float,
                        help="cut every page here instead of at each model's own threshold")
    parser.add_argument("--hashed-classes", action="store_true",
                        help="hash every class and id name of the HTML pages first (as CSS-in-JS sites print them)")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    figures = report(model, args.misses, args.threshold, args.hashed_classes)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Markdown structure side by side with trafilatura on wcxb-dev's gold ``main_content_markdown``.

    nice -n 19 python bench/markdown.py [--data ../shared/data/wcxb-dev] [--limit N] \
        [--out bench/results/markdown.json] [--show KIND]

For every page, storyfilter's markdown (the shipped models, ``StoryFilter`` defaults,
``filter(page, url=..., structure=True).to_markdown()``) and trafilatura's
(``extract(page, output_format="markdown", include_tables=True, include_formatting=True)``)
are cut into elements by one rule that also reads the gold markdown:

* ``heading``: a line ``#`` to ``######`` then a space (outside fenced code);
  ``subheading``: the same, less a ``# `` headline on the text's first line (the gold
  rarely has the page's headline; storyfilter writes it first);
* ``list_item``: a line ``-``, ``*``, ``+`` or ``1.`` / ``1)`` then a space, any indent;
* ``table_row``: a line starting with ``|`` that is not a separator row (``|---|``);

each element's text normalised (links and images to their text, emphasis and escapes
dropped, NFKC, case folded, every run of non-alphanumerics one space). An element
matches one of the same kind and text on the other side (multisets).

Per kind, only pages whose gold has at least one such element count: recall and
precision are matched / gold and matched / emitted, summed over those pages. What an
extractor emits on pages whose gold has none of that kind is reported apart
(``spurious``: elements, and pages with any). CPU time (``time.process_time``) per page
covers the whole call of each extractor on the page's bytes; ``storyfilter_story_text``
is storyfilter's default call without structure (``filter(page).story_text``), for what
rendering adds.
"""
from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from importlib import metadata as dist
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier import load_model  # noqa: E402

KINDS = ("heading", "subheading", "list_item", "table_row")
SYSTEMS = ("storyfilter", "trafilatura")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(.*)$")
_SEPARATOR = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_NON_ALNUM = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Element text as compared: links to their text, no images, escapes or emphasis."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def elements(markdown: str) -> dict[str, Counter]:
    """Headings, list items and table rows of a markdown text, normalised, as multisets."""
    found = {kind: Counter() for kind in KINDS}
    fence = None
    lines = markdown.strip().splitlines()
    for number, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _SEPARATOR.match(stripped):
                kind, text = "table_row", stripped.strip("|")
            else:
                continue
        elif (m := _HEADING.match(line)):
            kind, text = "heading", m.group(1)
            if not (number == 0 and line.startswith("# ")) and normalise(text):
                found["subheading"][normalise(text)] += 1
        elif (m := _ITEM.match(line)):
            kind, text = "list_item", m.group(1)
        else:
            continue
        text = normalise(text)
        if text:
            found[kind][text] += 1
    return found


def storyfilter_markdown(model, page: bytes, url: str | None) -> str:
    return model.filter(page, url=url, structure=True).to_markdown()


def trafilatura_markdown(page: bytes) -> str:
    import trafilatura

    return trafilatura.extract(page, output_format="markdown", include_tables=True,
                               include_formatting=True) or ""


def run(data: Path, limit: int | None, show: str | None) -> dict:
    model = load_model()
    pages = sorted((data / "html").glob("*.html.gz"))[:limit]
    totals = {s: {k: Counter() for k in KINDS} for s in SYSTEMS}
    seconds: dict[str, list[float]] = {s: [] for s in (*SYSTEMS, "storyfilter_story_text")}
    gold_pages = Counter()
    if pages:  # warm-up, untimed: first calls fill caches and import lazily
        first = gzip.decompress(pages[0].read_bytes())
        storyfilter_markdown(model, first, None), model.filter(first), trafilatura_markdown(first)
    failures: Counter = Counter()
    for path in pages:
        page_id = path.name.split(".")[0]
        truth = json.loads((data / "ground-truth" / f"{page_id}.json").read_text(encoding="utf-8"))
        gold = elements(truth["ground_truth"].get("main_content_markdown") or "")
        raw = gzip.decompress(path.read_bytes())
        outputs = {}
        start = time.process_time()
        try:  # what the page costs without structure: filter(page).story_text, the default path
            model.filter(raw, url=truth.get("url"))
        except Exception:  # noqa: BLE001 - counted below, where the structured call fails the same way
            pass
        seconds["storyfilter_story_text"].append(time.process_time() - start)
        for system in SYSTEMS:
            start = time.process_time()
            try:
                outputs[system] = (storyfilter_markdown(model, raw, truth.get("url")) if system == "storyfilter"
                                   else trafilatura_markdown(raw))
            except Exception as err:  # noqa: BLE001 - a failed page counts as empty output, and is counted
                failures[f"{system}: {type(err).__name__}"] += 1
                outputs[system] = ""
            seconds[system].append(time.process_time() - start)
        for kind in KINDS:
            if gold[kind]:
                gold_pages[kind] += 1
        for system in SYSTEMS:
            got = elements(outputs[system])
            for kind in KINDS:
                t = totals[system][kind]
                if gold[kind]:
                    t["gold"] += sum(gold[kind].values())
                    t["emitted"] += sum(got[kind].values())
                    t["matched"] += sum((gold[kind] & got[kind]).values())
                elif got[kind]:
                    t["spurious"] += sum(got[kind].values())
                    t["spurious_pages"] += 1
            if show and system == "storyfilter" and gold.get(show):
                missed = gold[show] - got[show]
                extra = got[show] - gold[show]
                if missed or extra:
                    print(f"== {page_id} missed {sorted(missed)[:6]} extra {sorted(extra)[:6]}", file=sys.stderr)
    scores = {}
    for system in SYSTEMS:
        scores[system] = {}
        for kind in KINDS:
            t = totals[system][kind]
            scores[system][kind] = {
                "recall": round(t["matched"] / t["gold"], 4) if t["gold"] else None,
                "precision": round(t["matched"] / t["emitted"], 4) if t["emitted"] else None,
                "gold": t["gold"], "emitted": t["emitted"], "matched": t["matched"],
                "spurious": t["spurious"], "spurious_pages": t["spurious_pages"]}
    return {
        "pages": len(pages), "pages_with_gold": dict(gold_pages), "scores": scores,
        "ms_per_page": {s: {"mean": round(1000 * statistics.fmean(v), 2) if v else None,
                            "median": round(1000 * statistics.median(v), 2) if v else None}
                        for s, v in seconds.items()},
        "failures": dict(failures),
        "versions": {"python": platform.python_version(), "trafilatura": dist.version("trafilatura"),
                     "storyfilter": dist.version("storyfilter")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wcxb-dev")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--show", choices=KINDS, default=None, help="print storyfilter's misses of one kind")
    args = parser.parse_args()
    if not (args.data / "html").is_dir():
        sys.exit(f"{args.data}: no wcxb-dev here (html/ and ground-truth/)")
    report = run(args.data, args.limit, args.show)
    report["command"] = "nice -n 19 python bench/markdown.py" + (f" --limit {args.limit}" if args.limit else "")
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

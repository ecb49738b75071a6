"""Metadata side by side with trafilatura on the gold title, author and publish_date of wcxb-dev.

    nice -n 19 python bench/metadata.py [--data ../shared/data/wcxb-dev] [--limit N] \
        [--out bench/results/metadata.json] [--misses FIELD]

For each field, over the pages whose gold value is set, the share of pages where the
extractor's value matches it:

* ``exact``: the same string once outer whitespace is stripped (dates: the same
  ``YYYY-MM-DD``, or ``YYYY-MM`` where the gold has only a month);
* ``normalised``: the same after Unicode NFKC, case folding, typographic quotes and dashes
  made plain, a leading "By" dropped and every run of non-alphanumerics made one space
  (dates: as exact).

The same functions judge both extractors. Also recorded: what each extractor says where the
gold has no value (``given_when_gold_empty``), the CPU time per page (``time.process_time``,
so other load on the machine does not count; storyfilter: reading the metadata from the
already parsed tree, and language detection on the gold text; trafilatura: ``extract_metadata``
on the page bytes, which parses it itself; htmldate: ``find_date`` on the page, the date
library storyfilter does not use), and how often the detected language agrees with the
language a page declares.
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
from importlib import metadata as dist
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.html_segmenter import parse_html, segment_tree  # noqa: E402
from classifier.language import detect_language  # noqa: E402
from classifier.page_facts import html_metadata  # noqa: E402

FIELDS = ("title", "author", "publish_date")
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_NON_ALNUM = re.compile(r"[\W_]+")
_BY = re.compile(r"^by\s+")


def normalise(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).translate(_PLAIN).casefold().strip()
    value = _BY.sub("", value)
    return " ".join(_NON_ALNUM.sub(" ", value).split())


def matches(field: str, gold: str, got: str | None) -> tuple[bool, bool]:
    """(exact, normalised) match of one extracted value against the gold one."""
    if not got:
        return False, False
    if field == "publish_date":
        same = got.strip()[: len(gold.strip())] == gold.strip()
        return same, same
    return got.strip() == gold.strip(), normalise(got) == normalise(gold)


def storyfilter_side(raw: bytes, url: str | None) -> tuple[dict, float]:
    tree = parse_html(raw)
    blocks = segment_tree(tree)
    start = time.process_time()
    found = html_metadata(tree, url, blocks)
    spent = time.process_time() - start
    return {"title": found.title, "author": found.author, "publish_date": found.date,
            "language": found.language}, spent


def trafilatura_side(raw: bytes, url: str | None) -> tuple[dict, float]:
    import trafilatura

    start = time.process_time()
    doc = trafilatura.extract_metadata(raw, default_url=url)
    spent = time.process_time() - start
    return {"title": doc.title, "author": doc.author, "publish_date": doc.date}, spent


def summary_ms(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered) * 1000, 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
            "mean": round(statistics.fmean(ordered) * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wcxb-dev")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "metadata.json")
    parser.add_argument("--misses", choices=FIELDS, help="print storyfilter's misses for this field")
    args = parser.parse_args()
    if not (args.data / "ground-truth").is_dir():
        sys.exit(f"{args.data}: no ground-truth/ folder (wcxb-dev is read from ../shared/data)")
    import trafilatura  # noqa: F401  (imported before timing)
    import htmldate

    names = sorted(p.stem for p in (args.data / "ground-truth").glob("*.json"))
    if args.limit:
        names = names[: args.limit]
    sides = {"storyfilter": storyfilter_side, "trafilatura": trafilatura_side}
    counts = {side: {f: {"gold": 0, "exact": 0, "normalised": 0, "given_when_gold_empty": 0, "gold_empty": 0}
                     for f in FIELDS} for side in sides}
    costs: dict[str, list[float]] = {side: [] for side in sides}
    detect_costs: list[float] = []
    htmldate_costs: list[float] = []
    language = {"declared": 0, "detected_agrees": 0, "detected_none": 0}
    for name in names:
        record = json.loads((args.data / "ground-truth" / f"{name}.json").read_text())
        gold, url = record["ground_truth"], record.get("url")
        raw = gzip.decompress((args.data / "html" / f"{name}.html.gz").read_bytes())
        start = time.process_time()
        htmldate.find_date(raw.decode("utf-8", "replace"), extensive_search=True, original_date=True)
        htmldate_costs.append(time.process_time() - start)
        for side, run in sides.items():
            got, spent = run(raw, url)
            costs[side].append(spent)
            for field in FIELDS:
                tally = counts[side][field]
                if gold.get(field):
                    tally["gold"] += 1
                    exact, loose = matches(field, gold[field], got[field])
                    tally["exact"] += exact
                    tally["normalised"] += loose
                    if side == "storyfilter" and args.misses == field and not loose:
                        print(f"{name}\tgold={gold[field]!r}\tgot={got[field]!r}")
                else:
                    tally["gold_empty"] += 1
                    tally["given_when_gold_empty"] += bool(got[field])
            if side == "storyfilter" and got["language"]:
                start = time.process_time()
                detected = detect_language(gold.get("main_content") or "")
                detect_costs.append(time.process_time() - start)
                language["declared"] += 1
                language["detected_agrees"] += detected == got["language"]
                language["detected_none"] += detected is None
    rates = {side: {field: {"pages_with_gold": t["gold"],
                            "exact": round(t["exact"] / max(1, t["gold"]), 4),
                            "normalised": round(t["normalised"] / max(1, t["gold"]), 4),
                            "given_when_gold_empty": f"{t['given_when_gold_empty']}/{t['gold_empty']}"}
                    for field, t in fields.items()} for side, fields in counts.items()}
    result = {
        "pages": len(names),
        "match_rates": rates,
        "ms_per_page": {"storyfilter_metadata_from_parsed_tree": summary_ms(costs["storyfilter"]),
                        "storyfilter_language_detection": summary_ms(detect_costs),
                        "trafilatura_extract_metadata": summary_ms(costs["trafilatura"]),
                        "htmldate_find_date": summary_ms(htmldate_costs)},
        "timing": "CPU time (time.process_time) of one call per page",
        "language_detection_vs_declared": language,
        "versions": {"trafilatura": dist.version("trafilatura"), "htmldate": dist.version("htmldate"),
                     "pycld2": dist.version("pycld2"),
                     "python": platform.python_version()},
        "command": "nice -n 19 python bench/metadata.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for field in FIELDS:
        print(f"{field:13s} " + "  ".join(
            f"{side}: exact {rates[side][field]['exact']:.3f} normalised {rates[side][field]['normalised']:.3f}"
            for side in sides))
    print(json.dumps(result["ms_per_page"]), json.dumps(language))


if __name__ == "__main__":
    main()

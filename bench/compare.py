"""storyfilter beside peer extractors: the same pages, one process, one run.

    PYTHONPATH=. python bench/compare.py CORPUS [--folds 5] [--cpu 1] [--limit N] [--systems a,b,c]
        [--cache DIR] [--postfilter-threshold T] [--out bench/results/compare.json]
        [--table docs/compare.md] [--plot docs/compare.png]

CORPUS is a gold folder (``html/ID.html[.gz]`` + ``ground-truth/ID.json``) or JSONL
pages with gold text. storyfilter is scored out of fold: pages get a fold by
their site (GroupKFold), and each page is filtered by a model trained on the
other folds, through the full pipeline (``filter_html`` on the raw bytes). The
peers run their documented usual call with default settings (``bench/peers.py``).
Every system is timed around its extraction call only, page by page.

A text post-filter section feeds the plain text that other tools emit through
a text-mode storyfilter trained out of fold the same way.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.peers import (KEEP_EVERYTHING, KEEP_EVERYTHING_PEERS, PEERS, Extract, Peer,  # noqa: E402
                         quiet_peer_logs, version_of)
from bench.teaser_leak import teaser_chars_leaked  # noqa: E402
import classifier as storyfilter_package  # noqa: E402
from classifier import __version__ as storyfilter_version  # noqa: E402
from classifier.api import LoadedModel, StoryFilter, default_model_path, load_model_directory  # noqa: E402
from classifier.artifacts import read_manifest, save_model_dir  # noqa: E402
from classifier.errors import ModelError  # noqa: E402
from classifier.model import BlockClassifier, classifier_to_state  # noqa: E402
from training.dataset import Examples, build_examples  # noqa: E402
from training.folds import fit_pages  # noqa: E402
from training.metrics import PageScore, score_page  # noqa: E402
from training.readers import detect_source_kind  # noqa: E402
from training.report import summarize  # noqa: E402
from training.augment import augment_pages  # noqa: E402
from training.train import DEFAULT_PARAMS, load_examples  # noqa: E402

STORYFILTER = "storyfilter"
SYSTEMS = (STORYFILTER, KEEP_EVERYTHING, *PEERS)
#: Post-filter sources: system name -> how its text is labelled in the report.
POSTFILTER_SOURCES = {
    "resiliparse": "resiliparse (main_content=True)",
    "trafilatura": "trafilatura",
    KEEP_EVERYTHING: "page as plain text",
}
ERRORS_KEPT = 5


# ----- command line ------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="gold folder (wcxb layout) or JSONL pages with gold text")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds, grouped by site")
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this core")
    parser.add_argument("--limit", type=int, default=0,
                        help="score only the first N pages (models are still trained on the whole corpus)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, from {', '.join(SYSTEMS)}")
    parser.add_argument("--cache", type=Path, default=None, help="keep fold models here and reuse them")
    parser.add_argument("--augment", type=float, default=0.5,
                        help="also train the HTML fold models on copies of this share of the training "
                             "pages with teaser widgets inserted, as the shipped model is trained "
                             "(0: none; copies are never scored)")
    parser.add_argument("--postfilter-threshold", type=float, default=None,
                        help="text-mode threshold of the post-filter for every source (default: the text "
                             "manifest's threshold for plain page text, its postfilter_threshold for "
                             "extractor output)")
    parser.add_argument("--also-thresholds", default="",
                        help="comma-separated extra HTML thresholds to report storyfilter at (same fold "
                             "models; accuracy only, timing is the default threshold's)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/compare.json"))
    parser.add_argument("--table", type=Path, default=Path("docs/compare.md"))
    parser.add_argument("--plot", type=Path, default=Path("docs/compare.png"))
    args = parser.parse_args(argv)
    args.systems = parse_systems(parser, args.systems)
    try:
        args.also_thresholds = [float(v) for v in args.also_thresholds.split(",") if v.strip()]
    except ValueError:
        parser.error("--also-thresholds takes numbers, e.g. 0.6,0.7")
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    return args


def parse_systems(parser: argparse.ArgumentParser, value: str) -> list[str]:
    """System names in the canonical order, matched case-insensitively."""
    known = {s.lower(): s for s in SYSTEMS}
    wanted = [v.strip().lower() for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in known]
    if unknown or not wanted:
        parser.error(f"unknown system(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(SYSTEMS)}")
    return [s for s in SYSTEMS if s.lower() in wanted]


def pin_cpu(cpu: int | None) -> list[int]:
    """Pin to one core so timings do not move between cores; returns the cores in use."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    return sorted(os.sched_getaffinity(0))


# ----- corpus and folds --------------------------------------------------------------------
def load_corpus(corpus: Path, mode: str) -> Examples:
    """Examples of a gold folder or JSONL pages (labelled-block files have no gold text to score)."""
    if detect_source_kind(corpus) not in ("gold-folder", "pages"):
        raise SystemExit(f"{corpus}: expected a gold folder or JSONL pages with main_text")
    return load_examples([corpus], mode)


def assign_folds(groups: Sequence[str], n_folds: int) -> tuple[np.ndarray, dict[str, int]]:
    """Fold of every page (GroupKFold by site, as training.evaluate does) and of every site."""
    groups_arr = np.asarray(groups)
    n_sites = len(np.unique(groups_arr))
    if n_sites < 2:
        raise SystemExit("out-of-fold scoring needs pages from at least two sites")
    folds = np.full(len(groups_arr), -1, dtype=np.int64)
    splits = GroupKFold(n_splits=min(n_folds, n_sites)).split(np.zeros(len(groups_arr)), groups=groups_arr)
    for k, (_, test_idx) in enumerate(splits):
        folds[test_idx] = k
    return folds, {g: int(f) for g, f in zip(groups, folds)}


def text_folds(html: Examples, text: Examples, fold_of_site: dict[str, int]) -> tuple[np.ndarray, bool]:
    """Folds of the text examples by site; checks page ids against the HTML examples.

    Returns the folds and whether both example sets hold the same pages in the same order.
    """
    same_order = [s.id for s in html.sources] == [s.id for s in text.sources]
    html_fold = {s.id: fold_of_site[g] for s, g in zip(html.sources, html.groups)}
    unknown = sorted(set(text.groups) - set(fold_of_site))
    if unknown:
        raise SystemExit(f"text examples hold sites the HTML examples do not: {', '.join(unknown[:5])}")
    folds = np.array([fold_of_site[g] for g in text.groups], dtype=np.int64)
    for source, fold in zip(text.sources, folds):
        if source.id in html_fold and html_fold[source.id] != fold:
            raise SystemExit(f"page {source.id}: text and HTML examples disagree on its site")
    return folds, same_order


# ----- fold models -------------------------------------------------------------------------
def code_digest() -> str:
    """Digest of the classifier's source: a model cached by other feature code is not reused."""
    digest = hashlib.sha256()
    for path in sorted(Path(storyfilter_package.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(corpus: Path, mode: str, params: dict[str, Any], examples: Examples, folds: np.ndarray,
              extra: Examples | None = None) -> str:
    """Corpus path + params + fold assignment, plus labels, training-only pages and classifier
    code (no stale model reused)."""
    digest = hashlib.sha256()
    head = {"corpus": str(corpus.resolve()), "mode": mode, "params": params, "code": code_digest(),
            "extra": [s.id for s in extra.sources] if extra is not None else []}
    digest.update(json.dumps(head, sort_keys=True).encode())
    for source, group, fold, labels in zip(examples.sources, examples.groups, folds, examples.labels):
        digest.update(f"{source.id}\t{group}\t{fold}\t".encode())
        digest.update(np.asarray(labels, dtype=np.int8).tobytes())
    return digest.hexdigest()[:20]


def as_loaded(classifier: BlockClassifier, mode: str, fold: int, threshold: float) -> LoadedModel:
    return LoadedModel(classifier=classifier, mode=mode, name=f"storyfilter-{mode}-fold{fold}",
                       version=f"{storyfilter_version}-fold{fold}", threshold=threshold, manifest={},
                       path=Path("."))


def load_cached(directory: Path | None, threshold: float) -> LoadedModel | None:
    """A cached fold model, or None if absent or unreadable (then it is retrained)."""
    if directory is None or not directory.is_dir():
        return None
    try:
        return dataclasses.replace(load_model_directory(directory), threshold=threshold)
    except ModelError as err:
        print(f"cache: {err}; retraining", file=sys.stderr)
        return None


def train_fold(examples: Examples, folds: np.ndarray, fold: int, mode: str,
               extra: Examples | None = None, extra_folds: np.ndarray | None = None) -> BlockClassifier:
    """A model trained on every page outside ``fold`` (and the training-only ``extra`` pages of
    the sites outside it), fitted as ``storyfilter train`` fits one (``training.folds.fit_pages``)."""
    pages = Examples([], [], [], [])
    pages.extend(examples)
    page_folds = [folds]
    if extra is not None and extra_folds is not None:
        pages.extend(extra)
        page_folds.append(extra_folds)
    train = np.flatnonzero(np.concatenate(page_folds) != fold).tolist()
    return fit_pages(lambda: BlockClassifier(**DEFAULT_PARAMS[mode], random_state=0), pages, train)


def save_fold(directory: Path, model: BlockClassifier, mode: str, fold: int, threshold: float) -> None:
    arrays, config = classifier_to_state(model)
    manifest = {"name": f"storyfilter-{mode}-fold{fold}", "version": f"{storyfilter_version}-fold{fold}",
                "mode": mode, "threshold": threshold, "params": model.get_params()}
    save_model_dir(directory, arrays, config, manifest, f"# fold {fold} model of bench/compare.py\n")


@dataclass
class FoldModels:
    """One filter per fold, and how they were obtained."""

    filters: dict[int, StoryFilter]
    key: str
    training_seconds: float
    from_cache: int


def fold_models(corpus: Path, examples: Examples, folds: np.ndarray, mode: str, threshold: float,
                cache: Path | None, extra: Examples | None = None,
                extra_folds: np.ndarray | None = None) -> FoldModels:
    """Train (or load from the cache) one model per fold."""
    params = {**DEFAULT_PARAMS[mode], "random_state": 0}
    key = cache_key(corpus, mode, params, examples, folds, extra)
    filters: dict[int, StoryFilter] = {}
    seconds, hits = 0.0, 0
    for fold in tqdm(sorted(set(folds.tolist())), desc=f"fold models ({mode})", unit="fold", disable=None):
        directory = cache / f"{mode}-{key}" / f"fold{fold}" if cache else None
        loaded = load_cached(directory, threshold)
        if loaded is None:
            start = time.perf_counter()
            model = train_fold(examples, folds, fold, mode, extra, extra_folds)
            seconds += time.perf_counter() - start
            if directory is not None:
                save_fold(directory, model, mode, fold, threshold)
            loaded = as_loaded(model, mode, fold, threshold)
        else:
            hits += 1
        filters[fold] = StoryFilter({mode: loaded})
    print(f"fold models ({mode}): {len(filters)} folds, {hits} from the cache, {seconds:.0f} s training",
          file=sys.stderr)
    return FoldModels(filters, key, round(seconds, 1), hits)


# ----- running and scoring -----------------------------------------------------------------
@dataclass
class Run:
    """What one system produced: a text per page, seconds per page, the pages it failed on."""

    texts: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def run_pages(inputs: Sequence[Any], ids: Sequence[str], extract_for: Callable[[int], Callable[[Any], str]],
              desc: str) -> Run:
    """Call the extractor on every input, timing the call only; an exception scores an empty output."""
    run = Run()
    for i in tqdm(range(len(inputs)), desc=desc, unit="page", disable=None):
        extract = extract_for(i)
        start = time.perf_counter()
        try:
            text = extract(inputs[i])
        except Exception as err:  # a peer failing on a page is a result, not a crash
            elapsed = time.perf_counter() - start
            text = ""
            run.errors.append((ids[i], f"{type(err).__name__}: {str(err)[:200]}"))
        else:
            elapsed = time.perf_counter() - start
        run.texts.append(text if isinstance(text, str) else "")
        run.seconds.append(elapsed)
    median = timing(run.seconds)["median_ms"]
    print(f"{desc}: {len(inputs)} pages, median {median} ms, {len(run.errors)} errors", file=sys.stderr)
    return run


def teaser_texts(examples: Examples, i: int) -> list[str]:
    """Texts of page ``i``'s teaser blocks, as ``training.teasers.teaser_mask`` marked them."""
    mask = examples.teasers[i] if i < len(examples.teasers) else []
    return [b.text for b, teaser in zip(examples.pages[i], mask) if teaser]


def raw_bytes(source: Any) -> bytes:
    html = source.html
    return html if isinstance(html, bytes) else html.encode("utf-8")


def score_texts(sources: Sequence[Any], texts: Sequence[str], teasers: Sequence[Sequence[str]]) -> list[PageScore]:
    """Page scores of one system's texts; ``teasers`` holds each page's teaser-block texts (bench.teaser_leak)."""
    scores = []
    for s, t, page_teasers in zip(sources, texts, teasers):
        leaked, total = teaser_chars_leaked(page_teasers, t)
        scores.append(score_page(page_id=s.id, page_type=s.page_type, predicted_text=t, gold_text=s.main_text,
                                 with_snippets=s.with_snippets, without_snippets=s.without_snippets,
                                 teaser_chars_total=total, teaser_chars_kept=leaked))
    return scores


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timing(seconds: Sequence[float]) -> dict[str, float | None]:
    if not seconds:
        return {"median_ms": None, "p95_ms": None, "mean_ms": None, "total_s": None}
    return {"median_ms": round(statistics.median(seconds) * 1000, 3),
            "p95_ms": round(percentile(seconds, 0.95) * 1000, 3),
            "mean_ms": round(statistics.mean(seconds) * 1000, 3), "total_s": round(sum(seconds), 2)}


def run_result(sources: Sequence[Any], run: Run, teasers: Sequence[Sequence[str]]) -> dict[str, Any]:
    return {"status": "scored", "summary": summarize(score_texts(sources, run.texts, teasers)),
            "timing": timing(run.seconds), "errors": len(run.errors),
            "empty_outputs": sum(1 for t in run.texts if not t.strip()),
            "error_examples": [{"page": p, "error": e} for p, e in run.errors[:ERRORS_KEPT]]}


# ----- the systems -------------------------------------------------------------------------
@dataclass
class Bench:
    """Everything the systems share: the pages, their folds, where results go."""

    args: argparse.Namespace
    html: Examples
    folds: np.ndarray
    fold_of_site: dict[str, int]
    index: list[int]  # example indices of the pages scored
    sources: list[Any]
    inputs: list[bytes]
    teasers: list[list[str]]  # texts of each scored page's teaser blocks (training.teasers)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)


def shipped_threshold(mode: str, key: str = "threshold") -> tuple[float, str]:
    """A threshold of a shipped model's manifest (``postfilter_threshold`` falls back to ``threshold``)."""
    manifest = read_manifest(default_model_path() / mode)
    value = manifest.get(key, manifest.get("threshold", 0.5))
    return float(value), str(manifest.get("version", "?"))


def also_thresholds(bench: Bench, blocks: list[list[Any]], default: float) -> None:
    """storyfilter at other thresholds: the same out-of-fold block scores (of the timed run), cut elsewhere."""
    for t in bench.args.also_thresholds:
        texts = ["\n\n".join(b.text for b in page if b.score >= t) for page in blocks]
        main = bench.results[STORYFILTER]
        bench.results[f"{STORYFILTER} @ {t:g}"] = {
            "status": "scored", "summary": summarize(score_texts(bench.sources, texts, bench.teasers)),
            "timing": main["timing"], "errors": 0, "empty_outputs": sum(1 for t_ in texts if not t_.strip()),
            "error_examples": [], "version": storyfilter_version, "threshold": t,
            "call": f"as storyfilter, keeping blocks with P(story) >= {t:g} instead of {default:g}"}


def augmented_pages(bench: Bench) -> tuple[Examples | None, np.ndarray | None]:
    """Training-only copies of ``--augment`` of the gold pages with teaser widgets (the shipped
    recipe), each in its source site's fold; (None, None) for ``--augment 0``."""
    if not bench.args.augment:
        return None, None
    gold = [s for s in bench.html.sources if getattr(s, "html", None) is not None]
    extra = build_examples(augment_pages(gold, bench.args.augment, seed=0), "html", progress=False)
    return extra, np.array([bench.fold_of_site[g] for g in extra.groups], dtype=np.int64)


def run_storyfilter(bench: Bench) -> None:
    threshold, shipped = shipped_threshold("html")
    extra, extra_folds = augmented_pages(bench)
    models = fold_models(bench.args.corpus, bench.html, bench.folds, "html", threshold, bench.args.cache,
                         extra, extra_folds)
    page_folds = [int(bench.folds[i]) for i in bench.index]

    scored_blocks: list[list[Any]] = []  # each page's scored blocks, kept for --also-thresholds

    def extract(raw: bytes, f: Any) -> str:
        result = f.filter_html(raw)
        scored_blocks.append(result.blocks)
        return result.story_text

    def extract_for(j: int) -> Callable[[bytes], str]:
        return lambda raw, f=models.filters[page_folds[j]]: extract(raw, f)

    run = run_pages(bench.inputs, [s.id for s in bench.sources], extract_for, STORYFILTER)
    bench.outputs[STORYFILTER] = run.texts
    bench.results[STORYFILTER] = {
        **run_result(bench.sources, run, bench.teasers), "version": storyfilter_version,
        "call": "StoryFilter.filter_html(page_bytes).story_text, fold model (out of fold)",
        "threshold": threshold, "threshold_from": f"artifacts/html/manifest.json (shipped model {shipped})",
        "folds": len(models.filters), "fold_models_from_cache": models.from_cache,
        "training_seconds": models.training_seconds, "cache_key": models.key,
        "augment": bench.args.augment, "training_only_pages": 0 if extra is None else len(extra.pages)}
    if len(scored_blocks) == len(bench.inputs):  # no page raised
        bench.results[STORYFILTER]["teaser_leak_by_blocks"] = teaser_leak_by_blocks(bench, scored_blocks)
        also_thresholds(bench, scored_blocks, threshold)


def teaser_leak_by_blocks(bench: Bench, scored_blocks: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """storyfilter's block-exact teaser leak (which teaser blocks it labelled story), to check the text rule.

    Counted on the pages whose ``filter_html`` blocks are the blocks the teaser mask was made on.
    """
    kept = total = aligned = 0
    for j, result_blocks in enumerate(scored_blocks):
        i = bench.index[j]
        blocks, mask = bench.html.pages[i], bench.html.teasers[i] if i < len(bench.html.teasers) else []
        if len(result_blocks) != len(blocks) or any(r.text != b.text for r, b in zip(result_blocks, blocks)):
            continue
        aligned += 1
        for r, b, teaser in zip(result_blocks, blocks, mask):
            if teaser:
                total += len(b.text)
                kept += len(b.text) if r.label == "story" else 0
    return {"pages_aligned": aligned, "teaser_chars_kept": kept, "teaser_chars_total": total,
            "teaser_leak": round(kept / total, 4) if total else None}


def keep_everything_peer() -> tuple[Peer, Extract]:
    """resiliparse's full page text; storyfilter's own blocks if resiliparse is missing."""
    for peer in KEEP_EVERYTHING_PEERS:
        try:
            return peer, peer.build()
        except ImportError:
            continue
    raise RuntimeError("no keep-everything extractor available")


def run_peer(bench: Bench, name: str) -> None:
    if name == KEEP_EVERYTHING:
        peer, extract = keep_everything_peer()
    else:
        peer = PEERS[name]
        try:
            extract = peer.build()
        except ImportError as err:
            print(f"{name}: not installed ({err})", file=sys.stderr)
            bench.results[name] = {"status": "not installed", "call": peer.call, "version": None}
            return
    run = run_pages(bench.inputs, [s.id for s in bench.sources], lambda _: extract, name)
    bench.outputs[name] = run.texts
    bench.results[name] = {**run_result(bench.sources, run, bench.teasers), "version": version_of(peer.distribution),
                           "distribution": peer.distribution, "call": peer.call}


def add_speed_ratios(results: dict[str, dict[str, Any]]) -> None:
    """Peer median / storyfilter median: above 1 means slower than storyfilter."""
    base = results.get(STORYFILTER, {}).get("timing", {}).get("median_ms")
    for name, result in results.items():
        median = result.get("timing", {}).get("median_ms")
        result["speed_ratio"] = round(median / base, 2) if base and median is not None else None


# ----- text post-filter --------------------------------------------------------------------
def postfilter(bench: Bench) -> dict[str, Any] | None:
    """Clean other tools' text with a text-mode storyfilter trained out of fold; F1 before and after."""
    sources = [s for s in POSTFILTER_SOURCES if s in bench.outputs]
    if not sources or STORYFILTER not in bench.args.systems:
        return None
    plain_t, shipped = shipped_threshold("text")
    extracted_t, _ = shipped_threshold("text", "postfilter_threshold")
    override = bench.args.postfilter_threshold
    threshold = plain_t if override is None else override
    text = load_corpus(bench.args.corpus, "text")
    folds, same_order = text_folds(bench.html, text, bench.fold_of_site)
    models = fold_models(bench.args.corpus, text, folds, "text", threshold, bench.args.cache)
    page_folds = [bench.fold_of_site[bench.html.groups[i]] for i in bench.index]
    rows = {}
    for name in sources:
        # A user knows whether the text is a whole page or another extractor's output.
        cut = override if override is not None else plain_t if name == KEEP_EVERYTHING else extracted_t

        def extract_for(j: int, cut: float = cut) -> Callable[[str], str]:
            return lambda t, f=models.filters[page_folds[j]]: f.filter_text(t, threshold=cut).story_text
        run = run_pages(bench.outputs[name], [s.id for s in bench.sources], extract_for, f"post-filter {name}")
        label = POSTFILTER_SOURCES[name]
        if name == KEEP_EVERYTHING:
            label += f" ({bench.results[name]['call'].split(':')[0]})"
        rows[name] = {"label": label, "threshold": cut, "before": bench.results[name]["summary"],
                      "after": summarize(score_texts(bench.sources, run.texts, bench.teasers)),
                      "postfilter_timing": timing(run.seconds), "errors": len(run.errors)}
    return {"threshold": threshold, "extracted_threshold": extracted_t if override is None else override,
            "threshold_from": ("--postfilter-threshold" if override is not None
                               else f"artifacts/text/manifest.json (shipped model {shipped}): threshold for "
                                    "plain page text, postfilter_threshold for extractor output"),
            "text_pages_match_html_pages": same_order, "folds": len(models.filters),
            "fold_models_from_cache": models.from_cache, "training_seconds": models.training_seconds,
            "cache_key": models.key, "sources": rows}


# ----- environment -------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def source_revision() -> str | None:
    """The git commit the code ran from, ``-dirty`` when classifier/ or training/ had local edits."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "classifier", "training"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def environment(cores: list[int], argv: Sequence[str]) -> dict[str, Any]:
    libraries = {d: version_of(d) for d in ("storyfilter", "numpy", "scipy", "scikit-learn", "selectolax", "lxml",
                                            "matplotlib", "tqdm", *sorted({p.distribution for p in PEERS.values()}))}
    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "python bench/compare.py " + " ".join(shlex.quote(a) for a in argv),
            "python": platform.python_version(), "libraries": libraries, "revision": source_revision(),
            "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "pinned_to": cores,
                        "platform": platform.platform()},
            "load_average_at_start": load_average()}


def load_average() -> float | None:
    """The 1-minute load average: how busy the machine was, which moves the timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# ----- outputs -----------------------------------------------------------------------------
def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def scored(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in results.items() if r.get("status") == "scored"}


def version_cell(name: str, result: dict[str, Any]) -> str:
    """The version, with the library's name when the row is not named after it (keep-everything)."""
    dist = result.get("distribution")
    version = result.get("version") or "?"
    return f"{dist} {version}" if dist and dist.lower() != name.lower() else version


def main_table(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| system | version | word F1 | teaser leak | P | R | shingle F1 | `with` kept | `without` leaked "
             "| ms/page median | ms/page p95 | time vs storyfilter | errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in scored(results).items():
        o, t = r["summary"]["overall"], r["timing"]
        ratio = "1×" if name == STORYFILTER else ("—" if r["speed_ratio"] is None else f"{r['speed_ratio']:.2f}×")
        bold = "**" if name == STORYFILTER else ""
        lines.append(f"| {bold}{name}{bold} | {version_cell(name, r)} | {bold}{num(o['word_f1'])}{bold} "
                     f"| {bold}{pct(o.get('teaser_leak'))}{bold} | {num(o['word_precision'])} "
                     f"| {num(o['word_recall'])} | {num(o['shingle_f1'])} "
                     f"| {pct(o['with_kept'])} | {pct(o['without_leaked'])} | {ms(t['median_ms'])} "
                     f"| {ms(t['p95_ms'])} | {ratio} | {r['errors']} |")
    return lines


def by_type_table(results: dict[str, dict[str, Any]], key: str, show: Callable[[float | None], str]) -> list[str]:
    rows = scored(results)
    types = sorted({t for r in rows.values() for t in r["summary"]["by_type"]})
    counts = {t: next(r["summary"]["by_type"][t]["pages"] for r in rows.values() if t in r["summary"]["by_type"])
              for t in types}
    lines = ["| system | " + " | ".join(f"{t} ({counts[t]})" for t in types) + " |",
             "|---|" + "---|" * len(types)]
    for name, r in rows.items():
        cells = [show(r["summary"]["by_type"].get(t, {}).get(key)) for t in types]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def postfilter_table(post: dict[str, Any]) -> list[str]:
    lines = ["| text from | threshold | word F1 before | word F1 after | teaser leak before → after "
             "| P before → after | R before → after "
             "| `without` leaked before | `without` leaked after | post-filter ms/page median |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in post["sources"].values():
        b, a = row["before"]["overall"], row["after"]["overall"]
        better = "**" if (a["word_f1"] or 0) > (b["word_f1"] or 0) else ""
        lines.append(f"| {row['label']} | {row.get('threshold', post['threshold']):g} | {num(b['word_f1'])} "
                     f"| {better}{num(a['word_f1'])}{better} "
                     f"| {pct(b.get('teaser_leak'))} → {pct(a.get('teaser_leak'))} "
                     f"| {num(b['word_precision'])} → {num(a['word_precision'])} "
                     f"| {num(b['word_recall'])} → {num(a['word_recall'])} | {pct(b['without_leaked'])} "
                     f"| {pct(a['without_leaked'])} | {ms(row['postfilter_timing']['median_ms'])} |")
    return lines


def header_lines(report: dict[str, Any]) -> list[str]:
    env, sf = report["environment"], report["systems"].get(STORYFILTER, {})
    lines = [f"Corpus `{report['corpus']}`: {report['pages']:,} pages scored, {report['sites']:,} sites. "
             f"Measured {env['date'][:10]} on {env['machine']['cpu']} ({env['machine']['cores']} cores, "
             f"pinned to core(s) {','.join(map(str, env['machine']['pinned_to']))}), Python {env['python']}."
             + load_sentence(report), ""]
    if sf.get("status") == "scored":
        lines += [f"storyfilter is scored out of fold: {sf['folds']} folds grouped by site, each page filtered "
                  f"by a model trained on the other folds (full `filter_html` pipeline on the raw bytes), "
                  f"threshold {sf['threshold']} from {sf['threshold_from']}.", ""]
    lines += [f"Command: `{env['command']}`", ""]
    return lines


def load_sentence(report: dict[str, Any]) -> str:
    """How busy the machine was (other jobs slow every system's clock, not always alike)."""
    start, end = report["environment"].get("load_average_at_start"), report.get("load_average_at_end")
    if start is None or end is None:
        return ""
    return (f" Load average {start:g} at the start and {end:g} at the end of the run "
            f"on {report['environment']['machine']['cores']} cores: on a shared machine, read the times as rough.")


def teaser_lines(report: dict[str, Any]) -> list[str]:
    """What the teaser leak column measures, with the totals it rests on."""
    sf = report["systems"].get(STORYFILTER, {})
    overall = next((r["summary"]["overall"] for r in scored(report["systems"]).values()), {})
    lines = ["**Teaser leak** is the share of the characters of the pages' teaser blocks (non-story blocks of "
             "recommendation widgets, by `training.teasers.teaser_mask`: class/id words such as `related`, "
             "`teaser`, `more-from`, or under a \"Related\" / \"More from\" heading) that a system's text output "
             "holds. A teaser block counts as leaked when at least half of its word 3-grams (a block of 1-2 "
             "words: its words in a row) occur in the output, both sides normalised (NFKC, case, quotes) and "
             "cut into words; the rule is the same for storyfilter's `story_text` and every peer "
             "(`bench/teaser_leak.py`). It only sees widgets named by class, id or heading: teaser rows with "
             "neutral class names are not counted."]
    if overall.get("teaser_chars_total") is not None:
        pages = report.get("pages_with_teasers")
        where = f" on {pages:,} pages" if pages is not None else ""
        lines[0] += f" Teaser text here: {overall['teaser_chars_total']:,} characters{where}."
    check = sf.get("teaser_leak_by_blocks")
    if check and check.get("teaser_leak") is not None:
        lines[0] += (f" Check of the text rule: storyfilter's block-exact leak (teaser blocks it labelled story, "
                     f"{check['pages_aligned']:,} pages whose blocks line up) is {pct(check['teaser_leak'])}, "
                     f"against {pct(sf['summary']['overall'].get('teaser_leak'))} by the text rule.")
    return lines + [""]


def calls_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["How each system was called:", ""]
    for name, r in results.items():
        status = "" if r.get("status") == "scored" else f" — **{r['status']}**, skipped"
        lines.append(f"* {name}: `{r['call']}`{status}")
    return lines + [""]


def render_table(report: dict[str, Any]) -> str:
    results = report["systems"]
    lines = ["# storyfilter beside other extractors", "", *header_lines(report), *main_table(results), "",
             *teaser_lines(report), *calls_lines(results), "## Word F1 by page type", "",
             *by_type_table(results, "word_f1", num), "",
             "## Teaser leak by page type", "", *by_type_table(results, "teaser_leak", pct), "",
             "## `without` snippets leaked by page type", "", *by_type_table(results, "without_leaked", pct), ""]
    post = report.get("postfilter")
    if post:
        lines += ["## storyfilter text mode as a post-filter", "",
                  f"Text mode (`filter_text`), out of fold on the same site folds; thresholds from "
                  f"{post['threshold_from']}.", "", *postfilter_table(post), ""]
    return "\n".join(lines)


def plot_points(report: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(label, median ms, word F1, is a post-filter point); a post-filter costs its source's median plus its own."""
    points = [(n, r["timing"]["median_ms"], r["summary"]["overall"]["word_f1"], False)
              for n, r in scored(report["systems"]).items() if r["timing"]["median_ms"]]
    for name, row in (report.get("postfilter") or {}).get("sources", {}).items():
        base = report["systems"][name]["timing"]["median_ms"] or 0.0
        cost = base + (row["postfilter_timing"]["median_ms"] or 0.0)
        short = "plain text" if name == KEEP_EVERYTHING else name
        if cost:
            points.append((f"{short} + text filter", cost, row["after"]["overall"]["word_f1"], True))
    return points


def label_offsets(points: Sequence[tuple[str, float, float, bool]], y_span: float) -> list[tuple[int, int]]:
    """Offsets (points) that keep labels of nearby markers from printing over each other."""
    choices = [(5, 4), (5, -11), (5, 15), (5, -22), (5, 26)]
    placed: list[tuple[float, float]] = []
    out = []
    for _, x, y, _ in points:
        lx = np.log10(x)
        for dx, dy in choices:
            ly = y + dy / 300 * y_span  # about 300 points of axis height
            if all(abs(lx - px) > 0.35 or abs(ly - py) > y_span / 25 for px, py in placed):
                break
        placed.append((lx, ly))
        out.append((dx, dy))
    return out


def write_plot(report: dict[str, Any], path: Path) -> str:
    """Word F1 against median ms/page, one labelled point per system; a message if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed; plot skipped"
    points = plot_points(report)
    if not points:
        return "no system scored; plot skipped"
    ys = [p[2] for p in points]
    fig, ax = plt.subplots(figsize=(9, 6))
    for (name, x, y, post), offset in zip(points, label_offsets(points, (max(ys) - min(ys)) or 1.0)):
        color = "tab:red" if name == STORYFILTER else ("tab:green" if post else "tab:blue")
        ax.scatter([x], [y], s=40, color=color, marker="s" if post else "o")
        ax.annotate(name, (x, y), textcoords="offset points", xytext=offset, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("median ms per page, one core (log scale)")
    ax.set_ylabel("mean page word F1")
    ax.set_title(f"{report['pages']:,} pages of {Path(report['corpus']).name}; "
                 "squares: text output cleaned by storyfilter text mode")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"plot written to {path}"


def write_outputs(report: dict[str, Any], args: argparse.Namespace) -> None:
    for path in (args.out, args.table):
        path.parent.mkdir(parents=True, exist_ok=True)
    report["plot"] = write_plot(report, args.plot)
    args.table.write_text(render_table(report), encoding="utf-8")
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report["plot"], file=sys.stderr)


# ----- main --------------------------------------------------------------------------------
def build_bench(args: argparse.Namespace) -> Bench:
    html = load_corpus(args.corpus, "html")
    folds, fold_of_site = assign_folds(html.groups, args.folds)
    index = [i for i, s in enumerate(html.sources) if getattr(s, "html", None) is not None]
    if args.limit:
        index = index[: args.limit]
    sources = [html.sources[i] for i in index]
    return Bench(args, html, folds, fold_of_site, index, sources, [raw_bytes(s) for s in sources],
                 [teaser_texts(html, i) for i in index])


def compare(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    """Run every chosen system over the pages and return the report."""
    cores = pin_cpu(args.cpu)
    quiet_peer_logs()
    env = environment(cores, argv)  # before the run: the revision of the code as it was loaded
    started = time.perf_counter()
    bench = build_bench(args)
    for name in args.systems:
        if name == STORYFILTER:
            run_storyfilter(bench)
        else:
            run_peer(bench, name)
    add_speed_ratios(bench.results)
    post = postfilter(bench)
    return {"corpus": str(args.corpus), "pages": len(bench.sources),
            "sites": len({bench.html.groups[i] for i in bench.index}),
            "pages_in_corpus": len(bench.html.sources), "limit": args.limit or None,
            "pages_with_teasers": sum(1 for t in bench.teasers if t),
            "systems": bench.results, "postfilter": post, "environment": env,
            "run_seconds": round(time.perf_counter() - started, 1), "load_average_at_end": load_average()}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    report = compare(args, argv)
    write_outputs(report, args)
    print(render_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

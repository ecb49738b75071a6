"""The model card written beside every trained model."""
from __future__ import annotations

from typing import Any


def _row(name: str, g: dict[str, Any]) -> str:
    def f(key: str) -> str:
        value = g.get(key)
        return "-" if value is None else f"{value:.3f}"
    return (f"| {name} | {g.get('pages', 0)} | {f('word_f1')} | {f('word_precision')} | {f('word_recall')} | "
            f"{f('shingle_f1')} | {f('with_kept')} | {f('without_leaked')} | {f('block_f1')} | {f('teaser_leak')} |")


def metrics_table(cv: dict[str, Any]) -> str:
    """Markdown table of a cross-validation report (all pages, then each page type)."""
    lines = ["| pages | n | word F1 | P | R | shingle F1 | with kept | without leaked | block F1 | teaser leak |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for system, summary in cv["systems"].items():
        lines.append(_row(f"all — {system}", summary["overall"]))
    model = cv["systems"]["storyfilter"]
    for page_type, group in model["by_type"].items():
        lines.append(_row(page_type, group))
    return "\n".join(lines)


def sweep_table(cv: dict[str, Any]) -> list[str]:
    """How page word F1 and leaked clutter trade off against the threshold (out of fold)."""
    rows = cv.get("threshold_sweep")
    if not rows:
        return []
    lines = ["", "Out-of-fold page word F1 and `without` snippets leaked at each threshold (pick your own "
             "with `--threshold`; training picks the best F1 leaking at most 5%):", "",
             "| threshold | " + " | ".join(f"{r['threshold']:.2f}" for r in rows) + " |",
             "|---|" + "---|" * len(rows),
             "| word F1 | " + " | ".join(f"{r['word_f1']:.3f}" for r in rows) + " |",
             "| leaked | " + " | ".join("-" if r["without_leaked"] is None else f"{r['without_leaked']:.1%}"
                                       for r in rows) + " |"]
    return lines


def render_model_card(manifest: dict[str, Any], command: str) -> str:
    """Markdown model card: what the model is, what it was trained on, how well it does."""
    data = manifest.get("training_data", {})
    cv = manifest.get("cross_validation")
    parts = [
        f"# Model card: {manifest['name']} {manifest['version']}",
        "",
        f"**Mode:** {manifest['mode']} — scores every block of a page as story or boilerplate "
        "(P(story)); blocks at or above the threshold are kept.",
        f"**Threshold:** {manifest['threshold']}"
        + (f" (post-filter threshold for text another extractor already cleaned: "
           f"{manifest['postfilter_threshold']})" if manifest["mode"] == "text"
           and manifest.get("postfilter_threshold") is not None else ""),
        "",
        "## Model",
        "Logistic regression over TF-IDF of block words (1–2-grams)"
        + (", TF-IDF of DOM class/id/tag tokens" if manifest["mode"] == "html" else "")
        + ", scaled shape features (length, link share, punctuation, capitals, digits, position, container), "
        "then a second logistic regression over the first stage's scores of the block, its neighbours, "
        "its DOM container and the page (trained on out-of-fold first-stage scores).",
        "",
        "## Training data",
        f"- Sources: {', '.join(data.get('sources', [])) or '-'}",
        f"- Pages: {data.get('pages')}, sites: {data.get('sites')}, blocks: {data.get('blocks')} "
        f"({data.get('story_share', 0):.1%} story)",
    ]
    if data.get("credit"):
        parts.append(f"- {data['credit']}")
    if manifest["mode"] == "text":
        parts.append("- Text mode trains on the HTML pages as a scraper sees them: the page's blocks written "
                     "as plain text, one block a line (spaced per page, by a seeded random, with no blank lines, "
                     "a blank line after every line, or a blank line where the DOM container changes), "
                     "re-split by the text segmenter; labels carry over line for line.")
        parts.append("- An extractor-output view of every page (the story and a sample of the clutter around "
                     "it, as another extractor would emit it) is scored out of fold but not trained on; the "
                     "post-filter threshold is the one that does best on it.")
    parts += ["", "## Cross-validated results"]
    if cv:
        parts += [f"{cv['folds']}-fold cross-validation grouped by site (no page is scored by a model that "
                  f"saw its site); threshold {cv['threshold']}. Page word F1 is the mean over pages of "
                  "bag-of-words F1 against the gold main text.", "", metrics_table(cv), *sweep_table(cv)]
        for name, view in (cv.get("views") or {}).items():
            overall = view["systems"]["storyfilter"]["overall"]
            keep = view["systems"]["keep-everything"]["overall"]
            leaked = overall.get("without_leaked")
            parts += ["", f"On the {name} view ({view['pages']} pages) at threshold {view['threshold']}: "
                      f"page word F1 {overall['word_f1']:.3f} against {keep['word_f1']:.3f} for keeping every "
                      "line" + ("" if leaked is None else f"; {leaked:.1%} of `without` snippets leaked") + "."]
    else:
        parts.append("Not run for this model (trained with `--cv-folds 0`).")
    parts += ["", "## Reproduce", "```", command, "```", "",
              "## Limits", "Trained on the sites and languages of its training data; mostly English pages. "
              "Scores are probabilities from a linear model: check them on your own sites with "
              "`storyfilter eval` before relying on them.", ""]
    return "\n".join(parts)

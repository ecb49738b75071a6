"""The model card written beside every trained model."""
from __future__ import annotations

from typing import Any

from .report import protocol_rows

_HEADER = ["| system | pages | word F1 | without leaked | teaser leak | comment leak | comment words | P | R | "
           "shingle F1 | with kept | block F1 |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]


def _row(name: str, g: dict[str, Any]) -> str:
    def f(key: str) -> str:
        value = g.get(key)
        return "-" if value is None else f"{value:.3f}"
    return (f"| {name} | {g.get('pages', 0)} | {f('word_f1')} | {f('without_leaked')} | {f('teaser_leak')} | "
            f"{f('comment_leak')} | {f('comment_words')} | {f('word_precision')} | {f('word_recall')} | "
            f"{f('shingle_f1')} | {f('with_kept')} | {f('block_f1')} |")


def metrics_table(cv: dict[str, Any]) -> str:
    """Markdown table of one report's systems (all pages), then the model by page type."""
    lines = list(_HEADER)
    for system, summary in cv["systems"].items():
        lines.append(_row(f"all — {system}", summary["overall"]))
    model = cv["systems"]["storyfilter"]
    for page_type, group in model["by_type"].items():
        lines.append(_row(page_type, group))
    return "\n".join(lines)


def protocol_table(cv: dict[str, Any] | None, holdout: dict[str, Any] | None) -> str:
    """Markdown table: cross-validation beside the hold-out, all pages, for each system and view."""
    rows = protocol_rows({"cross_validation": cv, "holdout": holdout})
    return "\n".join([*_HEADER, *(_row(name, summary["overall"]) for name, summary in rows.items())])


def sweep_table(cv: dict[str, Any]) -> list[str]:
    """How page word F1 and leaked clutter trade off against the threshold (out of fold; descriptive)."""
    rows = cv.get("threshold_sweep")
    if not rows:
        return []
    lines = ["", "Descriptive, not used to choose anything: out-of-fold page word F1, `without` snippets "
             "leaked and teaser text kept if every page were cut at each threshold (pick your own with "
             "`--threshold`):", "",
             "| threshold | " + " | ".join(f"{r['threshold']:.2f}" for r in rows) + " |",
             "|---|" + "---|" * len(rows),
             "| word F1 | " + " | ".join(f"{r['word_f1']:.3f}" for r in rows) + " |",
             _share_row("leaked", rows, "without_leaked")]
    if any(r.get("teaser_leaked") is not None for r in rows):  # manifests from before this figure lack it
        lines.append(_share_row("teaser leak", rows, "teaser_leaked"))
    return lines


def _share_row(name: str, rows: list[dict[str, Any]], key: str) -> str:
    return f"| {name} | " + " | ".join("-" if r.get(key) is None else f"{r[key]:.1%}" for r in rows) + " |"


def _cuts(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def protocol_text(manifest: dict[str, Any]) -> list[str]:
    """How the figures below were made, and how the shipped model differs from the models measured."""
    cv, ho = manifest.get("cross_validation"), manifest.get("holdout")
    data = manifest.get("training_data", {})
    lines = []
    if ho and "skipped" in ho:
        lines.append(f"- Hold-out: skipped ({ho['skipped']}).")
    elif ho:
        lines.append(f"- Hold-out: {ho['fraction']:.0%} of the sites ({ho['sites']} registered domains, "
                     f"{ho['pages']} pages; chosen by a hash of the domain and seed {ho['seed']}) were kept out of "
                     "every model choice: cross-validation and thresholds ran on the other sites, one model was "
                     f"fitted on their {ho['fit_pages']} pages (threshold {ho['threshold']:g}, "
                     + ("fixed" if ho.get("threshold_picked_by") == "fixed" else "picked on those pages")
                     + ") and the hold-out was scored once.")
    else:
        lines.append("- Hold-out: none" + (" (trained with `--holdout 0`)." if "holdout" in manifest else "."))
    if cv:
        if cv.get("threshold_rule") == "fixed":
            rule = f"fixed at {cv['threshold']:g}"
        elif "fold_thresholds" in cv:
            rule = ("picked on each fold's own training pages, from the fitted model's out-of-fold inner scores "
                    f"(nested): {_cuts(cv['fold_thresholds'])}; median {cv['threshold']:g}")
        else:
            rule = f"{cv['threshold']:g}, picked on the out-of-fold scores of all pages (not nested)"
        lines.append(f"- Cross-validation: {cv['folds']} folds grouped by {cv.get('grouped_by', 'site')} "
                     "(`www.x.co.uk` and `news.x.co.uk` are one site; no page is scored by a model that saw its "
                     f"site), {cv['pages']} pages from {cv.get('sites', '?')} sites; thresholds {rule}.")
    else:
        lines.append("- Cross-validation: not run (trained with `--cv-folds 0`).")
    if data.get("train_only_pages"):
        lines.append(f"- {data['train_only_pages']} training-only pages (augmented copies) were fitted on in the "
                     "folds of their own site's training side and never scored or counted.")
    rule = manifest.get("threshold_rule")
    how = ("fixed by the user" if rule == "fixed" else
           "picked the same way as each fold's: on its own training pages' inner out-of-fold scores" if rule else
           "the cross-validated one" if cv else "the default")
    lines.append(f"- The shipped model was fitted on all {data.get('pages')} pages"
                 + (", hold-out included," if ho and "skipped" not in ho else "")
                 + f" after these figures were computed; its threshold {manifest['threshold']:g} is {how}.")
    return lines


def render_model_card(manifest: dict[str, Any], command: str) -> str:
    """Markdown model card: what the model is, what it was trained on, how well it does."""
    data = manifest.get("training_data", {})
    cv = manifest.get("cross_validation")
    ho = manifest.get("holdout")
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
                     "it, as another extractor would emit it) is scored but not trained on; the post-filter "
                     "threshold is the one that does best on it out of fold (each fold's view figures use the "
                     "threshold picked on the other folds).")
    parts += ["", "## Evaluation protocol", *protocol_text(manifest)]
    if (cv and cv.get("systems")) or (ho and ho.get("systems")):
        parts += ["", "## Cross-validation vs hold-out",
                  "Page word F1 is the mean over pages of bag-of-words F1 against the gold main text; "
                  "`without` leaked is the share of clutter snippets found in the output; teaser leak is the "
                  "share of recommendation-widget text that survives; comment leak the share of readers' comment "
                  "text that survives, and comment words the share of the output's words that come from "
                  "comments (on article pages the target is at most 1%).", "", protocol_table(cv, ho)]
    if cv:
        parts += ["", "## Cross-validated results by page type", "", metrics_table(cv), *sweep_table(cv)]
    if ho and ho.get("systems"):
        parts += ["", "## Hold-out results by page type", "", metrics_table(ho)]
    parts += ["", "## Reproduce", *_code_line(manifest.get("code")), "```", command, "```", "",
              "## Limits", "Trained on the sites and languages of its training data; mostly English pages. "
              "Scores are probabilities from a linear model: check them on your own sites with "
              "`storyfilter eval` before relying on them.", ""]
    return "\n".join(parts)


def _code_line(code: dict[str, Any] | None) -> list[str]:
    """The commit whose code trained the model, when it was trained from a git checkout."""
    if not code:
        return []
    state = ", with uncommitted changes to the model code" if code.get("dirty") else ""
    return [f"Code: commit `{code['commit']}`{state}.", ""]

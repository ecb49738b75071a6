"""The heads' figures in the model card: a "Heads" section written when a head is added.

``storyfilter train`` writes the model card before any head exists; the page-type
and comment heads are fitted after (``python -m training.page_type_eval --save``,
``python -m training.comment_eval --save``). Each keeps the figures it was measured
with in its own config (``evaluation``, ignored by scoring), and adding a head
rewrites the card's "Heads" section from every head the directory holds, so the
card never shows the figures of a head that is not there.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifier.artifacts import CARD, add_model_files
from classifier.heads import save_head

SECTION = "## Heads"
_BEFORE = "## Reproduce"


def _confusion_table(report: dict[str, Any]) -> list[str]:
    labels = [t for t, row in zip(report["labels"], report["confusion"]) if sum(row)]
    index = {t: i for i, t in enumerate(report["labels"])}
    out = ["| true \\ predicted | " + " | ".join(report["labels"]) + " | F1 |",
           "|---" * (len(report["labels"]) + 2) + "|"]
    for t in labels:
        row = report["confusion"][index[t]]
        out.append(f"| {t} | " + " | ".join(str(v) for v in row) + f" | {report['f1'].get(t, 0):.2f} |")
    return out


def page_type_lines(report: dict[str, Any]) -> list[str]:
    """The page-type head: accuracy and macro F1 in CV and on the hold-out, confusion tables."""
    cv = report["cv"]
    out = ["### Page type (`metadata.page_type`; decides whether the comment head runs)", "",
           f"Measured with `python -m training.page_type_eval` ({report['folds']} folds grouped by registered "
           f"domain on the sites outside a seeded hold-out; the hold-out scored once).", "",
           "| | pages | accuracy | macro F1 | accuracy, collection and listing as one |", "|---|---|---|---|---|",
           f"| cross-validation | {cv['pages']} | {cv['accuracy']:.3f} | {cv['macro_f1']:.3f} | "
           f"{cv['accuracy_collection_listing_merged']:.3f} |"]
    held = report.get("holdout")
    if held:
        out.append(f"| hold-out ({held['sites']} sites) | {held['pages']} | {held['accuracy']:.3f} | "
                   f"{held['macro_f1']:.3f} | {held['accuracy_collection_listing_merged']:.3f} |")
    out += ["", "Cross-validation, pages by true and predicted type:", "", *_confusion_table(cv)]
    if held:
        out += ["", "Hold-out:", "", *_confusion_table(held)]
    return out


def comment_lines(report: dict[str, Any]) -> list[str]:
    """The comment head: character precision, recall and F1 of the comment role."""
    out = ["### Readers' comments (`comments=True`, `--comments`)", "",
           f"Measured with `python -m training.comment_eval` ({report['folds']} folds grouped by registered "
           "domain; by characters, among the blocks outside the story; forum pages left out).", "",
           "| | pages | with comments | precision | recall | F1 |", "|---|---|---|---|---|---|"]
    for key, name in (("cv", "cross-validation (gold story)"), ("holdout", "hold-out")):
        r = report.get(key)
        if r:
            if key == "holdout":
                name = f"hold-out ({r['sites']} sites, story {report.get('holdout_story', 'gold')})"
            out.append(f"| {name} | {r['pages']} | {r['pages_with_comments']} | {r['precision']:.3f} | "
                       f"{r['recall']:.3f} | {r['f1']:.3f} |")
    return out


_RENDER = {"page_type": page_type_lines, "comments": comment_lines}


def heads_section(directory: str | Path) -> list[str]:
    """The "Heads" section for the heads in ``directory`` that carry their figures (empty if none)."""
    directory = Path(directory)
    parts: list[str] = []
    for name, render in _RENDER.items():
        path = directory / f"{name}.json"
        if not path.exists():
            continue
        report = json.loads(path.read_text(encoding="utf-8")).get("evaluation")
        if isinstance(report, dict):
            parts += ["", *render(report)]
    return [SECTION, *parts] if parts else []


def with_heads_section(card: str, section: list[str]) -> str:
    """``card`` with its "Heads" section replaced by ``section`` (placed before "Reproduce")."""
    lines = card.split("\n")
    if SECTION in lines:
        start = lines.index(SECTION)
        end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
        lines[start:end] = []
    if section:
        at = lines.index(_BEFORE) if _BEFORE in lines else len(lines)
        lines[at:at] = [*section, ""]
    return "\n".join(lines)


def refresh_card(directory: str | Path) -> None:
    """Rewrite the model card's "Heads" section from the heads the directory holds (manifest resealed)."""
    directory = Path(directory)
    card = (directory / CARD).read_text(encoding="utf-8")
    updated = with_heads_section(card, heads_section(directory))
    if updated != card:
        add_model_files(directory, {CARD: updated.encode("utf-8")})


def save_head_with_figures(directory: str | Path, name: str, head: Any, report: dict[str, Any]) -> None:
    """Add a fitted head (``page_type`` or ``comments``) with the figures it was measured with,
    and rewrite the card's "Heads" section."""
    arrays, config = head.to_state()
    save_head(directory, name, arrays, {**config, "evaluation": report})
    refresh_card(directory)

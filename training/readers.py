"""Readers for training and evaluation data, each failing with the file and line of a bad row.

Three sources:
* a gold folder laid out like WCXB: ``html/ID.html[.gz]`` + ``ground-truth/ID.json``;
* JSONL pages ``{"id", "url"?, "html"|"text", "main_text"}`` (optionally ``page_type``,
  ``with``, ``without``);
* JSONL labelled blocks ``{"page_id", "position", "text", "label"}`` (optionally the
  page's ``html`` on any of its rows), also as exported by doccano (``label`` as a
  list or ``[start, end, label]`` spans), Prodigy (``answer: accept|reject|ignore``,
  ``accept: [...]``, ``meta.page_id``) and Label Studio (one task a line:
  ``data.{text, page_id, position}`` + ``annotations[].result[].value.choices``).
"""
from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from classifier.errors import TrainingDataError

from .domains import host_of, registered_domain

log = logging.getLogger(__name__)

STORY_LABELS = {"story", "main", "content", "1", "true", "yes", "keep"}
BOILERPLATE_LABELS = {"boilerplate", "clutter", "0", "false", "no", "drop", "noise"}


@dataclass
class GoldPage:
    """A page with its gold main text (and, for WCXB, snippets and a page type)."""

    id: str
    main_text: str
    html: bytes | str | None = None
    text: str | None = None
    url: str | None = None
    page_type: str = "unknown"
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)
    source: str = ""
    #: The site when the page is a copy of another (an augmented page): its source's, so that
    #: the copy always falls in its source's fold, also when the page has no URL.
    site: str | None = None
    #: An augmented copy with hashed class names: its markup before the names were hashed. The
    #: blocks are the same; their class words are what mark teaser and comment blocks for training.
    named_html: str | None = None

    @property
    def domain(self) -> str:
        """The site the page belongs to: the URL's registered domain (or the page id)."""
        return self.site or registered_domain(self.url) or self.id


@dataclass
class LabelledPage:
    """A page given as labelled blocks, in order."""

    id: str
    texts: list[str]
    labels: list[int]
    html: str | None = None
    url: str | None = None
    source: str = ""

    @property
    def domain(self) -> str:
        """The site the page belongs to: the URL's registered domain (or the page id)."""
        return registered_domain(self.url) or self.id


def site_of(url: str | None) -> str:
    """Host of a URL without ``www.``; empty if there is none (folds group by :attr:`GoldPage.domain`)."""
    return host_of(url)


def _open_binary(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each non-blank line; a broken line raises naming it.

    Lines are decoded one by one (UTF-8, a leading BOM is dropped), so a stray
    non-UTF-8 byte is reported with its line; so is the line where a truncated
    or corrupt ``.gz`` file stops.
    """
    path = Path(path)
    try:
        handle = _open_binary(path)
    except OSError as err:
        raise TrainingDataError(f"cannot open file ({err.strerror or err})", str(path)) from None
    number = 0
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as err:
                    raise TrainingDataError(f"not UTF-8 text ({err.reason} at byte {err.start} of the line)",
                                            str(path), number) from None
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise TrainingDataError(f"not valid JSON ({err.msg})", str(path), number) from None
                if not isinstance(row, dict):
                    raise TrainingDataError("expected a JSON object", str(path), number)
                yield number, row
        except (OSError, EOFError, zlib.error) as err:
            # a truncated or corrupt .gz stops at the line after the last good one
            raise TrainingDataError(f"cannot read file ({err or type(err).__name__})", str(path),
                                    number + 1) from None


def _snippets(value: object) -> list[str] | None:
    """A list of snippet strings, or None when ``value`` is something else."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def read_gold_folder(folder: str | Path) -> list[GoldPage]:
    """Pages of a WCXB-style folder, in id order."""
    folder = Path(folder)
    truth_dir, html_dir = folder / "ground-truth", folder / "html"
    if not truth_dir.is_dir() or not html_dir.is_dir():
        raise TrainingDataError("expected a folder with html/ and ground-truth/ inside", str(folder))
    pages = []
    records = sorted(truth_dir.glob("*.json"))
    for truth_path in records:
        page_id = truth_path.stem
        try:
            record = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
            raise TrainingDataError(f"bad ground-truth record ({err})", str(truth_path)) from None
        gold = record.get("ground_truth") if isinstance(record, dict) else None
        if not isinstance(gold, dict):
            raise TrainingDataError('bad ground-truth record (expected an object with a "ground_truth" object)',
                                    str(truth_path))
        main_text = gold.get("main_content")
        if not isinstance(main_text, str):
            log.warning("%s: no ground_truth.main_content; page skipped", truth_path)
            continue
        with_snippets, without_snippets = _snippets(gold.get("with")), _snippets(gold.get("without"))
        if with_snippets is None or without_snippets is None:
            raise TrainingDataError('ground_truth "with" and "without" must be lists of strings', str(truth_path))
        url = record.get("url")
        if url is not None and not isinstance(url, str):
            raise TrainingDataError('"url" must be a string', str(truth_path))
        html_path = html_dir / f"{page_id}.html.gz"
        if not html_path.exists():
            html_path = html_dir / f"{page_id}.html"
        if not html_path.exists():
            raise TrainingDataError(f"no html/{page_id}.html(.gz) for this record", str(truth_path))
        try:
            raw = gzip.decompress(html_path.read_bytes()) if html_path.suffix == ".gz" else html_path.read_bytes()
        except (OSError, EOFError, zlib.error) as err:
            raise TrainingDataError(f"cannot read page ({err or type(err).__name__})", str(html_path)) from None
        internal = record.get("_internal")
        page_type = internal.get("page_type") if isinstance(internal, dict) else None
        page_type = page_type.get("primary") if isinstance(page_type, dict) else None
        pages.append(GoldPage(
            id=page_id, main_text=main_text, html=raw, url=url, page_type=str(page_type or "unknown"),
            with_snippets=with_snippets, without_snippets=without_snippets, source=str(truth_path),
        ))
    if not records:
        raise TrainingDataError("no ground-truth/*.json records found", str(folder))
    if not pages:
        raise TrainingDataError("no ground-truth record has a main_content text", str(folder))
    return pages


def read_pages_jsonl(path: str | Path) -> list[GoldPage]:
    """Pages with gold text from JSONL: ``{"id", "url"?, "html"|"text", "main_text"}``."""
    pages = []
    for number, row in iter_jsonl(path):
        def bad(message: str) -> TrainingDataError:
            return TrainingDataError(message, str(path), number)
        page_id = row.get("id")
        if page_id is None:
            raise bad('missing "id"')
        if not isinstance(page_id, (str, int)) or isinstance(page_id, bool):
            raise bad('"id" must be a string or a number')
        html, text = row.get("html"), row.get("text")
        if not isinstance(html, str) and not isinstance(text, str):
            raise bad('needs "html" or "text" as a string')
        main_text = row.get("main_text")
        if not isinstance(main_text, str):
            raise bad('needs "main_text" as a string')
        url = row.get("url")
        if url is not None and not isinstance(url, str):
            raise bad('"url" must be a string')
        with_snippets, without_snippets = _snippets(row.get("with")), _snippets(row.get("without"))
        if with_snippets is None or without_snippets is None:
            raise bad('"with" and "without" must be lists of strings')
        pages.append(GoldPage(
            id=str(page_id), main_text=main_text, html=html if isinstance(html, str) else None,
            text=text if isinstance(text, str) else None, url=url,
            page_type=str(row.get("page_type") or "unknown"),
            with_snippets=with_snippets, without_snippets=without_snippets,
            source=f"{path}:{number}",
        ))
    if not pages:
        raise TrainingDataError("no pages in file", str(path))
    return pages


def _label_studio_row(row: dict) -> dict:
    """Flatten a Label Studio task (``{"data": {...}, "annotations": [{"result": [...]}]}``).

    The task's ``data`` holds ``text``, ``page_id``, ``position`` (and optionally
    ``html``, ``url``); the label is the first choice or label of the last
    annotation that was not cancelled. Other rows are returned unchanged.
    """
    data = row.get("data")
    if not isinstance(data, dict):
        return row
    flat = {**data, "meta": row.get("meta") if isinstance(row.get("meta"), dict) else {}}
    annotations = row.get("annotations", row.get("completions"))
    if isinstance(annotations, list):
        for annotation in reversed(annotations):
            if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                continue
            for result in annotation.get("result") or []:
                value = result.get("value") if isinstance(result, dict) else None
                if not isinstance(value, dict):
                    continue
                for key in ("choices", "labels"):
                    if isinstance(value.get(key), list) and value[key]:
                        flat["label"] = value[key][0]
                        return flat
    return flat


def _label_value(row: dict) -> str | None:
    label = row.get("label", row.get("labels"))
    if label is None and isinstance(row.get("accept"), list):  # Prodigy choice: the options accepted
        label = row["accept"]
    if isinstance(label, list):  # doccano / Label Studio style
        label = label[0] if label else None
        if isinstance(label, list):  # doccano span [start, end, label]
            label = label[-1] if label else None
    if isinstance(label, bool):
        label = "story" if label else "boilerplate"
    if label is None:
        return None
    value = str(label).strip().lower()
    if row.get("answer") == "reject":  # Prodigy: the annotator rejected the proposed label
        if value in STORY_LABELS:
            return "boilerplate"
        if value in BOILERPLATE_LABELS:
            return "story"
    return value


def read_labelled_blocks(path: str | Path) -> list[LabelledPage]:
    """Labelled blocks grouped by page and ordered by position."""
    grouped: dict[str, list[tuple[float, int, str, int]]] = {}
    extras: dict[str, dict] = {}
    for number, row in iter_jsonl(path):
        def bad(message: str) -> TrainingDataError:
            return TrainingDataError(message, str(path), number)
        if row.get("answer") == "ignore":  # Prodigy: the annotator skipped this example
            continue
        row = _label_studio_row(row)
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        page_id = row.get("page_id", meta.get("page_id"))
        if page_id is None:
            raise bad('missing "page_id"')
        text = row.get("text")
        if not isinstance(text, str):
            raise bad('missing "text" string')
        value = _label_value(row)
        if value in STORY_LABELS:
            label = 1
        elif value in BOILERPLATE_LABELS:
            label = 0
        else:
            raise bad(f'"label" must be story or boilerplate, got {value!r}')
        position = row.get("position", meta.get("position", number))
        if not isinstance(position, (int, float)) or isinstance(position, bool):
            raise bad('"position" must be a number')
        key = str(page_id)
        grouped.setdefault(key, []).append((float(position), number, text, label))
        extra = extras.setdefault(key, {})
        if isinstance(row.get("html"), str):
            extra["html"] = row["html"]
        url = row.get("url", meta.get("url"))  # Prodigy keeps it in meta
        if isinstance(url, str):
            extra["url"] = url
    if not grouped:
        raise TrainingDataError("no labelled blocks in file", str(path))
    pages = []
    for page_id, rows in grouped.items():
        rows.sort()
        pages.append(LabelledPage(
            id=page_id, texts=[r[2] for r in rows], labels=[r[3] for r in rows],
            html=extras[page_id].get("html"), url=extras[page_id].get("url"), source=str(path),
        ))
    return pages


def detect_source_kind(path: str | Path) -> str:
    """``gold-folder``, ``pages`` or ``blocks``, from the folder layout or the first JSONL row."""
    path = Path(path)
    if path.is_dir():
        return "gold-folder"
    if not path.exists():
        raise TrainingDataError("no such file or folder", str(path))
    for number, row in iter_jsonl(path):
        if "main_text" in row:
            return "pages"
        if "page_id" in row or isinstance(row.get("meta"), dict) or isinstance(row.get("data"), dict):
            return "blocks"
        raise TrainingDataError(
            'cannot tell the format: expected "main_text" (pages) or "page_id" (labelled blocks)',
            str(path), number)
    raise TrainingDataError("file is empty", str(path))

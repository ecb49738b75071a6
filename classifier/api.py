"""The public API: load a model, filter a page.

``load_model()`` returns a :class:`StoryFilter` holding an HTML-mode and a
text-mode model; ``filter_html`` / ``filter_text`` cut a page into blocks, score
them and keep the story.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from .artifacts import MANIFEST, model_digest
from .blocks import Block
from .decoding import binary_text_kind, check_encoding, decode_bytes, utf8_safe
from .arguments import check_threshold
from .errors import InputError, LimitError, ModelError
from .comment_threads import Comment, group_comments
from .heads import Heads, load_heads
from .html_segmenter import parse_html, segment_tree
from .language import detect_language
from .limits import DEFAULT_LIMITS, Limits
from .metadata import Metadata, PageBlocks, metadata_of
from .page_facts import html_metadata
from .scorer import BlockScorer
from .scoring_index import load_scorer
from .result import FilterResult, PageSource, ScoredBlock
from .roles import PageTypeGuess, comment_flags, guess_page_type
from .sniff import looks_like_html
from .text_facts import text_metadata
from .text_segmenter import segment_text

MODES = ("html", "text")
_STORY, _BOILERPLATE, _COMMENT = "story", "boilerplate", "comment"


@dataclass(frozen=True)
class LoadedModel:
    """One trained model directory: the classifier and what its manifest says about it."""

    classifier: BlockScorer  # numpy only: scoring never imports scikit-learn
    mode: str
    name: str
    version: str
    threshold: float
    manifest: dict[str, Any]
    path: Path
    postfilter_threshold: float | None = None  # for text another extractor already cleaned
    sha256: str = ""  # of its manifest.json: the digest that pins it (artifacts.model_digest)
    heads: Heads = Heads()  # page-type and comment heads, where the directory has them


def default_model_path() -> Path:
    """Where the shipped default models live (the installed ``artifacts`` package)."""
    return Path(str(files("artifacts")))


def load_model_directory(path: str | Path, expected_sha256: str | None = None) -> LoadedModel:
    """Load one model directory (``model.npz`` + ``model.json`` + ``manifest.json``), pinned
    to ``expected_sha256`` if given (see :func:`classifier.artifacts.model_digest`)."""
    path = Path(path)
    classifier, manifest = load_scorer(path, expected_sha256)
    mode = manifest.get("mode", "html")
    if mode not in MODES:
        raise ModelError(f"{path / MANIFEST}: unknown mode {mode!r}")
    return LoadedModel(classifier=classifier, mode=mode, name=str(manifest.get("name", f"storyfilter-{mode}")),
                       version=str(manifest.get("version", "0")),
                       threshold=float(manifest.get("threshold", 0.5)), manifest=manifest, path=path,
                       postfilter_threshold=_optional_float(manifest.get("postfilter_threshold")),
                       sha256=model_digest(path), heads=load_heads(path, manifest))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


class StoryFilter:
    """Scores the blocks of pages and keeps the story; one model per mode.

    If only one mode's model is present it serves both modes (a text-mode model
    scores HTML blocks without their DOM features; an HTML-mode model scores
    lines as blocks without DOM).
    """

    def __init__(self, models: dict[str, LoadedModel], limits: Limits = DEFAULT_LIMITS) -> None:
        if not models:
            raise ModelError("no model given")
        self.models = models
        self.limits = limits

    def model_for(self, mode: str) -> LoadedModel:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        return self.models.get(mode) or next(iter(self.models.values()))

    # ----- segmentation ------------------------------------------------------------
    def _check_size(self, data: str | bytes) -> None:
        """Refuse a page that is not str/bytes, or longer than ``Limits.max_bytes``."""
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise InputError(f"a page must be str or bytes, not {type(data).__name__}")
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > self.limits.max_bytes:
            unit = "characters" if isinstance(data, str) else "bytes"
            raise LimitError(f"page is {size:,} {unit}; the limit is {self.limits.max_bytes:,} "
                             "(Limits.max_bytes)")

    def html_blocks(self, html: str | bytes, encoding: str | None = None, url: str | None = None,
                    structure: bool = False) -> PageBlocks:
        """Decode (if bytes) and segment an HTML page; the blocks carry the page's metadata
        (``url``: where the page came from, the base of its relative links). ``structure``:
        see :meth:`tree_blocks`.

        Raises :class:`InputError` for a page that is not str/bytes, too large, or
        binary; an empty page, or one with no text, gives no blocks.
        """
        self._check_page(html, encoding)
        return self.tree_blocks(parse_html(html, self.limits, encoding=encoding), url, structure)

    def tree_blocks(self, tree: LexborHTMLParser, url: str | None = None, structure: bool = False) -> PageBlocks:
        """The blocks of an already parsed page (:func:`~classifier.html_segmenter.parse_html`)
        with the metadata read from the same tree. ``structure=True`` also records each
        block's shape, ``<pre>`` text and links, for rendering; the blocks are the same."""
        blocks = segment_tree(tree, self.limits, structure=structure)
        return PageBlocks(blocks, html_metadata(tree, url, blocks))

    def text_blocks(self, text: str | bytes, encoding: str | None = None) -> list[Block]:
        """Decode (if bytes) and split plain text into one block per line.

        Raises :class:`InputError` like :meth:`html_blocks`; NUL characters and lone
        surrogates (from ``surrogateescape`` or JSON) become U+FFFD (:func:`utf8_safe`).
        """
        self._check_page(text, encoding)
        if not isinstance(text, str):
            text, _ = decode_bytes(text, encoding)
        blocks = segment_text(utf8_safe(text), self.limits)
        return PageBlocks(blocks, text_metadata(blocks))

    def _check_page(self, page: str | bytes, encoding: str | None) -> None:
        """Refuse what no mode reads: a bad type or size, an unknown ``encoding``
        (:class:`ArgumentError` naming it), and a ``str`` holding binary data, with the
        error binary bytes get."""
        self._check_size(page)
        check_encoding(encoding)
        if isinstance(page, str) and page:
            kind = binary_text_kind(page)
            if kind is not None:
                raise InputError(f"input looks like {kind}, not an HTML or text page")

    def blocks(self, page: str | bytes, mode: str, encoding: str | None = None, url: str | None = None
               ) -> list[Block]:
        """The blocks of a page in ``mode`` (``html`` or ``text``): :meth:`html_blocks` or :meth:`text_blocks`."""
        if mode == "html":
            return self.html_blocks(page, encoding, url)
        if mode == "text":
            return self.text_blocks(page, encoding)
        raise ValueError(f"mode must be html or text, got {mode!r}")

    # ----- scoring ---------------------------------------------------------------------
    def score_blocks(self, blocks: list[Block], mode: str, threshold: float | None = None,
                     page_type: bool = False) -> FilterResult:
        """Score already segmented blocks and build the result."""
        return self.score_pages([blocks], mode, threshold, page_type=page_type)[0]

    def cut_for(self, mode: str, threshold: float | None = None, extracted: bool = False) -> float:
        """The threshold a page is cut at: the one given, else the post-filter threshold for text
        another extractor already cleaned (``extracted``), else the model's own."""
        if threshold is not None:
            return check_threshold(threshold)
        model = self.model_for(mode)
        if extracted and mode == "text" and model.postfilter_threshold is not None:
            return model.postfilter_threshold
        return model.threshold

    def score_pages(self, pages: list[list[Block]], mode: str, threshold: float | None = None,
                    extracted: bool = False, comments: bool = False, page_type: bool = False,
                    structure: bool = False) -> list[FilterResult]:
        """Score many pages in one vectorised model call (``extracted``: see :meth:`filter_text`;
        ``comments``, ``page_type``: see :meth:`filter`). Each result's metadata is what its
        blocks carry (:meth:`html_blocks`), with the language detected from the story text
        where the page does not declare it. ``structure=True`` keeps the blocks in the
        result (``FilterResult.structure``) for rendering: segment them with ``structure=True``."""
        model = self.model_for(mode)
        cut = self.cut_for(mode, threshold, extracted)
        scores = model.classifier.page_scores(pages) if any(pages) else [[] for _ in pages]
        results = []
        for blocks, page_scores in zip(pages, scores):
            values = np.asarray(page_scores, dtype=np.float64).tolist()
            scored = [ScoredBlock(b.index, b.text, _STORY if s >= cut else _BOILERPLATE, s, b.kind, b.path)
                      for b, s in zip(blocks, values)]
            story = "\n\n".join(b.text for b in scored if b.label == "story")
            guess = guess_page_type(model.heads, blocks) if comments or (page_type and mode == "html") else None
            found = None
            if comments:
                scored, found = _comment_role(model, blocks, scored, guess)
            metadata = _settled_metadata(metadata_of(blocks), story, guess if page_type and mode == "html" else None)
            results.append(FilterResult(story_text=story, blocks=scored, mode=mode, model_name=model.name,
                                        model_version=model.version, threshold=cut, comments=found,
                                        metadata=metadata, structure=tuple(blocks) if structure else None))
        return results

    def filter_html(self, html: str | bytes, url: str | None = None, threshold: float | None = None,
                    encoding: str | None = None, comments: bool = False, page_type: bool = False,
                    structure: bool = False) -> FilterResult:
        """Keep the story of an HTML page. ``encoding`` is the transport charset, if known.

        ``url`` is where the page came from: ``metadata.url`` when the page names no
        canonical URL, and the base of relative links in the metadata; the default
        models do not score with it. ``result.to_markdown()`` and ``result.to_text()`` read
        the page's structure: ``structure=True`` records it as the page is segmented (the
        blocks scored are the same); without it, the page is segmented again when asked.
        """
        result = self.score_pages([self.html_blocks(html, encoding, url, structure)], "html", threshold,
                                  comments=comments, page_type=page_type, structure=structure)[0]
        if structure:
            return result
        return replace(result, source=PageSource(html, encoding, self.limits))  # for a rendering asked later

    def filter_text(self, text: str | bytes, threshold: float | None = None,
                    encoding: str | None = None, extracted: bool = False, comments: bool = False,
                    page_type: bool = False) -> FilterResult:
        """Keep the story lines of plain text (one paragraph a line, blank lines allowed).

        ``extracted=True`` says the text is another extractor's output (resiliparse,
        trafilatura...), already mostly story: the model's post-filter threshold is
        used, picked in training on text rendered that way, lower than a whole page's.
        It helps resiliparse's text and not trafilatura's, which is already precise
        (README, docs/experiments.md Round 8).
        """
        return self.score_pages([self.text_blocks(text, encoding)], "text", threshold, extracted, comments,
                                page_type)[0]

    def filter(self, page: str | bytes, mode: str = "auto", url: str | None = None,
               threshold: float | None = None, encoding: str | None = None,
               extracted: bool = False, comments: bool = False, page_type: bool = False,
               structure: bool = False) -> FilterResult:
        """Filter a page given as HTML or text; ``mode="auto"`` tells them apart.

        ``extracted`` applies to text (see :meth:`filter_text`). ``comments=True`` also
        finds readers' comments among the blocks left out of the story (``result.comments``,
        blocks labelled "comment"; none on forum pages, whose posts are the content); it
        costs about as much again as scoring, so it is off by default. ``page_type=True``
        fills ``metadata.page_type`` and ``metadata.page_type_probability`` from the model's
        page-type head (HTML mode; both stay None without a head); it costs about 2 ms a page.
        ``structure=True`` keeps the page's structure for rendering (``result.to_markdown()``,
        HTML mode; text has none).
        """
        if mode == "auto":
            mode = detect_mode(page, encoding)
        if mode == "html":
            return self.filter_html(page, url=url, threshold=threshold, encoding=encoding, comments=comments,
                                    page_type=page_type, structure=structure)
        if mode == "text":
            return self.filter_text(page, threshold=threshold, encoding=encoding, extracted=extracted,
                                    comments=comments, page_type=page_type)
        raise ValueError(f"mode must be auto, html or text, got {mode!r}")


def _settled_metadata(metadata: Metadata, story: str, guess: PageTypeGuess | None) -> Metadata:
    """The page's metadata with its language detected from the story where the page declares
    none, and the page type where it was asked for."""
    if not metadata.language:
        metadata = metadata.with_language(detect_language(story))
    if guess is not None:
        metadata = metadata.with_page_type(guess.type, guess.probability)
    return metadata


def _comment_role(model: LoadedModel, blocks: list[Block], scored: list[ScoredBlock],
                  guess: PageTypeGuess | None) -> tuple[list[ScoredBlock], list[Comment]]:
    """Blocks outside the story that the comment head marks become "comment"; their posts.

    A model without a comment head finds none (an empty list: asked for, nothing found).
    """
    story = [b.label == _STORY for b in scored]
    flags = comment_flags(model.heads, blocks, story, guess)
    if not flags or not any(flags):
        return scored, []
    scored = [b._replace(label=_COMMENT) if flag else b for b, flag in zip(scored, flags)]
    return scored, group_comments(blocks, flags)


def detect_mode(page: str | bytes, encoding: str | None = None) -> str:
    """``html`` or ``text`` for a page, by sniffing its start."""
    if isinstance(page, (bytes, bytearray, memoryview)):
        head, _ = decode_bytes(bytes(page[:65536]), encoding, reject_binary=False)
    elif isinstance(page, str):
        head = page[:65536]
    else:
        raise InputError(f"a page must be str or bytes, not {type(page).__name__}")
    return "html" if looks_like_html(head) else "text"


def load_model(path: str | Path | None = None, limits: Limits | None = None, *,
               expected_sha256: str | Mapping[str, str] | None = None) -> StoryFilter:
    """Load the shipped default models, or the model(s) at ``path``.

    ``path`` is one model directory, or a directory holding ``html/`` and/or ``text/``
    model directories (as ``artifacts/`` does). Raises :class:`ModelError` naming the
    file that is missing, corrupt or modified.

    ``expected_sha256`` pins what may load: for one model directory its digest (the
    sha256 of its ``manifest.json``, which lists the sha256 of every other file; print
    it with ``python -m classifier.artifacts digest DIR``); for a folder, a digest per
    mode (``{"html": ..., "text": ...}``), every mode it holds included. The shipped
    models are always checked against the digests pinned in the package.
    """
    shipped = path is None or _is_shipped(Path(path))
    root = Path(path) if path is not None else default_model_path()
    if not root.exists():
        raise ModelError(f"{root}: no such model directory")
    if expected_sha256 is None and shipped:
        from .shipped_models import SHIPPED_SHA256 as expected_sha256  # noqa: N811
    if (root / MANIFEST).exists():
        loaded = load_model_directory(root, _pin_for(expected_sha256, None, root))
        models = {loaded.mode: loaded}
    else:
        models = {mode: load_model_directory(root / mode, _pin_for(expected_sha256, mode, root / mode))
                  for mode in MODES if (root / mode).is_dir()}
        if not models:
            raise ModelError(f"{root}: neither a model directory (no {MANIFEST}) nor a folder "
                             "with html/ or text/ model directories")
    return StoryFilter(models, limits or DEFAULT_LIMITS)


def _is_shipped(path: Path) -> bool:
    try:
        return path.resolve() == default_model_path().resolve()
    except OSError:
        return False


def _pin_for(expected: str | Mapping[str, str] | None, mode: str | None, directory: Path) -> str | None:
    """The digest one model directory must have: the string given, or the one for its mode."""
    if expected is None:
        return None
    if isinstance(expected, str):
        if mode is not None:
            raise ModelError(f"{directory.parent}: holds a model per mode; pin each "
                             "(expected_sha256={'html': ..., 'text': ...})")
        return expected
    if mode is None:  # a single directory: its mode, from its manifest
        from .artifacts import read_manifest

        mode = str(read_manifest(directory).get("mode", "html"))
    digest = expected.get(mode)
    if digest is None:
        raise ModelError(f"{directory}: no sha256 pinned for the {mode} model")
    return digest

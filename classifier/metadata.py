"""What a page says about itself: title, author, date, site, language... (``result.metadata``).

The fields are read from the tree the blocks come from (see :mod:`classifier.page_facts`),
so metadata costs no second parse; ``language`` falls back to detection on the story text
(:mod:`classifier.language`). Every field is ``None`` when nothing on the page says it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .blocks import Block


@dataclass(frozen=True, slots=True)
class Metadata:
    """The page's metadata; ``date`` is ISO 8601 (a date, or a date and time with its offset)."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None
    language: str | None = None  # ISO 639-1 (BCP 47 primary subtag), lowercase
    description: str | None = None
    url: str | None = None
    image: str | None = None
    page_type: str | None = None
    page_type_probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Metadata":
        """Metadata back from its JSON form; unknown keys and values of the wrong type are
        ignored, a non-dict gives empty metadata."""
        if not isinstance(data, dict):
            return cls()
        values: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            if isinstance(data.get(name), str):
                values[name] = data[name]
        probability = data.get("page_type_probability")
        if isinstance(probability, (int, float)) and not isinstance(probability, bool):
            values["page_type_probability"] = float(probability)
        return cls(**values)

    def with_language(self, language: str | None) -> "Metadata":
        """This metadata with ``language`` where it has none yet (a declared one wins)."""
        return self if language is None or self.language else replace(self, language=language)

    def with_page_type(self, page_type: str, probability: float) -> "Metadata":
        return replace(self, page_type=page_type, page_type_probability=probability)


#: The fields in their JSON order (a batch output's ``metadata`` struct is built from them).
FIELDS = tuple(f.name for f in fields(Metadata))
_TEXT_FIELDS = tuple(name for name in FIELDS if name != "page_type_probability")


EMPTY = Metadata()


class PageBlocks(list[Block]):
    """The blocks of one page with what the page said about itself (:class:`Metadata`).

    A list, so every caller that segments and then scores pages carries the metadata
    along without a change; ``language`` is settled after scoring, from the story text.
    """

    __slots__ = ("metadata",)

    def __init__(self, blocks: list[Block] | tuple[Block, ...] = (), metadata: Metadata = EMPTY) -> None:
        super().__init__(blocks)
        self.metadata = metadata


def metadata_of(blocks: list[Block]) -> Metadata:
    """The metadata carried by ``blocks`` (empty for a plain list)."""
    return getattr(blocks, "metadata", EMPTY)

"""Dates as pages write them (``2025-09-04T10:00:00Z``, ``Thu, 04 Sep 2025 10:00:00 GMT``,
``September 4, 2025``, ``04.09.2025``) turned into ISO 8601, or None.

Structured dates (JSON-LD, ``<meta>``, ``<time datetime>``) are nearly always ISO 8601 or
RFC 2822 and are read here with the standard library; a date in the page's text (a dateline,
a byline) is one of the written forms above. No date library is used: ``htmldate`` parses the
page again and costs tens of milliseconds a page (see docs/metadata.md).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

# A date outside these years is a placeholder (0001-01-01, 2999-12-31), not a publication date.
MIN_YEAR = 1990
MAX_YEAR_AHEAD = 1
_MAX_CHARS = 200  # longer text is not one date
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T|$)")
_MONTHS = {m: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for m in names}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b", re.I)
_DOTTED = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")


def _plausible(year: int) -> bool:
    return MIN_YEAR <= year <= datetime.now(timezone.utc).year + MAX_YEAR_AHEAD


def _day(year: int, month: int, day: int) -> str | None:
    if not _plausible(year):
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_date(value: object) -> str | None:
    """``value`` as ISO 8601: the date and time with its offset when the source gives them,
    else the date alone; None when it is not a plausible date."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    stamp = _from_iso(text) or _from_rfc2822(text)
    if stamp is not None:
        return stamp
    return _from_words(text)


def _from_iso(text: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if _ISO_DAY.match(text) else text)
    except ValueError:
        match = _ISO_DAY.match(text) or _ISO_COMPACT.match(text)
        return _day(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None
    if not _plausible(parsed.year):
        return None
    if len(text) <= 10:  # a date alone
        return parsed.date().isoformat()
    return parsed.isoformat()


def _from_rfc2822(text: str) -> str | None:
    if "," not in text and ":" not in text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed.isoformat() if _plausible(parsed.year) else None


def _from_words(text: str) -> str | None:
    """``September 4, 2025``, ``4th Sept 2025``, ``04.09.2025`` (day first, as most of the world writes)."""
    match = _MONTH_DAY_YEAR.search(text)
    if match:
        return _day(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
    match = _DAY_MONTH_YEAR.search(text)
    if match:
        return _day(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    match = _DOTTED.search(text)
    if match:
        return _day(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return None


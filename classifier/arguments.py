"""Checks of the arguments users pass (thresholds), so a bad value gets the package's error.

Why here: ``float(10**400)`` raises OverflowError, ``float("0.5")`` quietly accepts a
string and NaN passes every ``0 <= x <= 1`` test the other way round; one check keeps
the Python API, the hook, the Scrapy settings and the command line saying the same thing.
"""
from __future__ import annotations

import math
from numbers import Real

from .errors import ArgumentError


def check_threshold(value: object, name: str = "threshold") -> float:
    """``value`` as a float in [0, 1]; :class:`ArgumentError` for anything else.

    Accepted: ints and floats (numpy's included). Refused: bools, strings, NaN,
    infinities, numbers out of range (huge ints too) and other types.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentError(f"{name} must be a number within [0, 1], got {value!r}")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        raise ArgumentError(f"{name} must be within [0, 1], got {_short(value)}") from None
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise ArgumentError(f"{name} must be within [0, 1], got {_short(value)}")
    return number


def parse_threshold(raw: object, name: str = "threshold") -> float:
    """A threshold given as text (a setting, a flag) or a number: see :func:`check_threshold`."""
    if isinstance(raw, (str, bytes)):
        text = raw.decode() if isinstance(raw, bytes) else raw
        try:
            raw = float(text.strip())
        except ValueError:
            raise ArgumentError(f"{name} must be a number within [0, 1], got {_short(text)}") from None
    return check_threshold(raw, name)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

"""Input limits: what storyfilter accepts before it answers with an error or a truncated page.

Bounded input keeps time and memory bounded on hostile pages. Every limit can be
overridden per model (``load_model(limits=Limits(...))``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard limits applied while decoding and segmenting one page."""

    max_bytes: int = 64 * 1024 * 1024  # larger pages are refused with InputError
    max_blocks: int = 20_000  # blocks past this are dropped from the end of the page
    max_nodes: int = 2_000_000  # DOM nodes visited; the rest of the page is ignored
    max_depth: int = 512  # deeper elements are flattened into their ancestor at this depth
    max_block_chars: int = 100_000  # a longer block is cut to this many characters


DEFAULT_LIMITS = Limits()

"""Tell HTML from plain text for ``mode="auto"``."""
from __future__ import annotations

import re

_HTML_START = re.compile(r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p|article)\b",
                         re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?(p|div|span|a|br|li|ul|h[1-6]|table|td|tr|section|article|nav|img|script|style)\b[^>]*>",
                  re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """True when the start of ``text`` is an HTML document or it is dense with common tags."""
    head = text[:65536]
    if _HTML_START.match(head):
        return True
    tags = len(_TAG.findall(head))
    return tags >= 3 and tags * 40 >= len(head.split("\n"))

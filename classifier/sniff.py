"""Tell HTML from plain text for ``mode="auto"``.

A page is HTML when, after any byte-order mark, whitespace and comments, it starts
with a doctype, an XML declaration or a tag of a known HTML element (for inline
elements such as ``<b>``, only when another tag follows), or when its text is dense
with known tags, at least one of them an end tag. Plain text that mentions a tag
or two ("use the <b> element") stays text.
"""
from __future__ import annotations

import re

_ELEMENTS = (
    "a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption "
    "center cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset "
    "figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i "
    "iframe img input ins kbd label legend li link main map mark menu meta meter nav noscript object "
    "ol optgroup option output p param picture pre progress q rp rt ruby s samp script section select "
    "small source span strong style sub summary sup svg table tbody td template textarea tfoot th thead "
    "time title tr track u ul var video wbr"
).split()
# Elements that can open a fragment on their own; the others (b, i, a, span...) need company.
_STRUCTURAL = frozenset(
    "address article aside blockquote body center dd details dialog div dl dt fieldset figure footer "
    "form frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html li link main meta nav noscript ol p "
    "pre script section style table tbody td template th thead title tr ul".split()
)
_NAMES = "|".join(sorted(_ELEMENTS, key=len, reverse=True))
_LEAD = re.compile(r"[\ufeff\s]*(?:<!--.*?-->[\s]*)*", re.DOTALL)
_DOCUMENT_START = re.compile(r"<(?:!doctype\s+html|\?xml\s)", re.IGNORECASE)
_START_TAG = re.compile(rf"<({_NAMES})(?=[\s/>])", re.IGNORECASE)
_TAG = re.compile(rf"<(/?)(?:{_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_HEAD_CHARS = 65536


def looks_like_html(text: str) -> bool:
    """True when ``text`` is an HTML document or fragment rather than plain text."""
    head = text[:_HEAD_CHARS]
    start = _LEAD.match(head).end()
    if _DOCUMENT_START.match(head, start):
        return True
    first = _START_TAG.match(head, start)
    if first is not None and first.group(1).lower() in _STRUCTURAL:
        return True
    tags = _TAG.findall(head)
    if first is not None and len(tags) >= 2:
        return True
    closing = sum(1 for slash in tags if slash)
    lines = head.count("\n") + 1
    return len(tags) >= 3 and closing >= 1 and len(tags) * 40 >= lines

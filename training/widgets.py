"""Teaser widgets as HTML: the "More from" / "Read next" / "Most read" boxes a page shows of OTHER stories.

Training data generation only (see :mod:`training.augment`): the shapes, class
names and headings real sites use for such boxes, so the model meets many of
them. Class names are half telling (``related``, ``mas-leidos``) and half
neutral or generated (``box-3``, ``css-1q2w3e``), and headings come in several
languages or not at all, so no single word gives a widget away: what it looks
like (a run of linked headlines after the story) has to.
"""
from __future__ import annotations

import html
import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Widget headings by language; ``{site}`` is the site's name.
HEADINGS: dict[str, tuple[str, ...]] = {
    "en": ("More from {site}", "Read next", "Recommended for you", "Related stories", "You may also like",
           "Most read", "Trending now", "More stories", "Don't miss", "Popular", "Top stories", "Latest news",
           "Editor's picks", "In case you missed it", "What to read next", "More on this topic", "Related"),
    "de": ("Weitere Artikel", "Mehr zum Thema", "Das könnte Sie auch interessieren", "Meistgelesen",
           "Mehr von {site}", "Empfehlungen der Redaktion", "Auch interessant"),
    "fr": ("Lire aussi", "À lire aussi", "Les plus lus", "Sur le même sujet", "Plus d'articles de {site}",
           "Nos recommandations", "À découvrir"),
    "es": ("Lo más leído", "Te puede interesar", "Noticias relacionadas", "Más noticias", "Más de {site}",
           "También te puede interesar"),
    "it": ("Potrebbe interessarti", "I più letti", "Leggi anche", "Articoli correlati", "Altro da {site}"),
    "pt": ("Leia também", "Mais lidas", "Veja também", "Notícias relacionadas", "Mais de {site}"),
    "nl": ("Meer nieuws", "Meest gelezen", "Lees ook", "Gerelateerde artikelen", "Meer van {site}"),
    "sv": ("Läs också", "Mest läst", "Fler nyheter"),
    "da": ("Læs også", "Mest læste", "Flere nyheder"),
    "pl": ("Czytaj także", "Najczęściej czytane", "Zobacz również"),
    "tr": ("İlginizi çekebilir", "En çok okunanlar", "Benzer haberler"),
}
#: Labels of a one-line or small inline box between story paragraphs, by language.
INLINE_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("Read more:", "Related:", "See also:", "Also read:", "READ MORE:", "Related"),
    "de": ("Lesen Sie auch:", "Mehr zum Thema:", "Auch interessant:"),
    "fr": ("Lire aussi :", "À lire aussi :", "Voir aussi :"),
    "es": ("Lea también:", "Relacionado:", "Te puede interesar:"),
    "it": ("Leggi anche:", "Vedi anche:"),
    "pt": ("Leia também:", "Veja também:"),
    "nl": ("Lees ook:", "Zie ook:"),
    "sv": ("Läs också:",),
    "da": ("Læs også:",),
    "pl": ("Czytaj także:",),
    "tr": ("Ayrıca okuyun:",),
}
#: Class names that say what the box is (in several languages and plugin dialects). Only words
#: that name a recommendation box: class words are split into words for the model, and a word
#: that real pages also put on their story ("article", "artikel", "story", "post", "news",
#: "entry", "item", "card", "media", "title") would be taught as clutter by every inserted
#: widget, though on real pages it is as often story as not.
TELLING_CLASSES = (
    "related", "related-links", "moreFrom", "recommended", "rec-widget", "trending", "most-read",
    "mostPopular", "read-next", "also-read", "you-may-like", "mas-leidos", "meistgelesen", "lire-aussi",
    "a-lire-aussi", "leggi-anche", "leia-tambem", "teasers", "jp-relatedposts", "yarpp-related", "crp_related",
    "td-related", "further-reading", "recommendations", "trending-now",
)
_ITEM_TELLING = ("teaser", "related-link", "rec-teaser", "recommended-link")
SIDEBAR_CLASSES = ("sidebar", "rail", "l-aside", "sidebar-right", "side-rail")

CONTAINER_SHAPES = ("list", "cards", "aside", "table", "ticker", "articles", "most-read")
INLINE_SHAPES = ("inline-box", "read-more-line")


@dataclass(frozen=True)
class Teaser:
    """One widget item: another story's headline, maybe its first sentence, and a link on the same site."""

    headline: str
    lead: str | None
    href: str


def generated_class(rng: random.Random) -> str:
    """An obfuscated class name made of nonsense (``qzvkrw-4``, ``xbtl_9``, ``Kdqwpe``): a new word
    each time, so the model learns nothing from it (no layout word such as ``box``, ``row`` or
    ``card`` is taught as clutter by the inserted widgets alone)."""
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 8)))
    kind = rng.randrange(3)
    if kind == 0:
        return f"{word}-{rng.randint(1, 99)}"
    if kind == 1:
        return f"{word}_{rng.choice(string.ascii_lowercase)}{rng.randint(1, 9)}"
    return word.capitalize()


def container_class(rng: random.Random, telling: float = 0.5, names: Sequence[str] = TELLING_CLASSES) -> str:
    """A class for a container: one of the telling ``names`` with probability ``telling``, else generated."""
    return rng.choice(names) if rng.random() < telling else generated_class(rng)


def item_class(rng: random.Random) -> str:
    """A class for one item (often neutral: real sites name the box more than its items)."""
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(_ITEM_TELLING)
    return generated_class(rng)


def pick_heading(rng: random.Random, language: str, site: str) -> str:
    """A widget heading in ``language`` (English when there is none for it), naming ``site`` if it wants to."""
    return rng.choice(HEADINGS.get(language, HEADINGS["en"])).format(site=site)


def pick_inline_label(rng: random.Random, language: str) -> str:
    return rng.choice(INLINE_LABELS.get(language, INLINE_LABELS["en"]))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _attrs(rng: random.Random, cls: str) -> str:
    """``class`` and sometimes an ``id`` (telling or generated, like the class)."""
    out = f' class="{_e(cls)}"'
    if rng.random() < 0.25:
        out += f' id="{_e(container_class(rng))}-{rng.randint(1, 9)}"'
    return out


def _heading_html(rng: random.Random, heading: str | None) -> str:
    if heading is None:
        return ""
    tag = rng.choice(("h2", "h3", "h3", "h4", "div", "span", "p", "strong"))
    cls = rng.choice(("", "", f' class="{generated_class(rng)}"'))
    if tag in ("span", "strong"):  # an inline heading needs a block of its own
        return f"<div{cls}><{tag}>{_e(heading)}</{tag}></div>"
    return f"<{tag}{cls}>{_e(heading)}</{tag}>"


def _link(t: Teaser, inner: str | None = None) -> str:
    return f'<a href="{_e(t.href)}">{inner if inner is not None else _e(t.headline)}</a>'


def _maybe_date(rng: random.Random) -> str:
    if rng.random() >= 0.25:
        return ""
    y, m, d = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    text = rng.choice((f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{d}/{m}/{y}"))
    return f'<time datetime="{y}-{m:02d}-{d:02d}">{text}</time>'


def _list(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    lis = []
    for t in items:
        lead = f"<p>{_e(t.lead)}</p>" if t.lead else ""
        lis.append(f'<li class="{_e(item_class(rng))}">{_link(t)}{lead}</li>')
    return f'<div{_attrs(rng, cls)}>{_heading_html(rng, heading)}<ul>{"".join(lis)}</ul></div>'


def _cards(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    h = rng.choice(("h3", "h4", "h2"))
    img = rng.random() < 0.5
    cards = []
    for i, t in enumerate(items):
        pic = f'<img src="/img/{i}.jpg" alt="">' if img else ""
        lead = f"<p>{_e(t.lead)}</p>" if t.lead else ""
        cards.append(f'<div class="{_e(item_class(rng))}">{pic}{_link(t, f"<{h}>{_e(t.headline)}</{h}>")}'
                     f"{lead}{_maybe_date(rng)}</div>")
    return f'<div{_attrs(rng, cls)}>{_heading_html(rng, heading)}{"".join(cards)}</div>'


def _aside(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    parts = []
    for t in items:
        lead = f"<p>{_e(t.lead)}</p>" if t.lead else ""
        parts.append(f'<div class="{_e(item_class(rng))}"><h5>{_link(t)}</h5>{lead}</div>')
    return f'<aside{_attrs(rng, cls)}>{_heading_html(rng, heading)}{"".join(parts)}</aside>'


def _table(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    cells = []
    for t in items:
        lead = f"<br><span>{_e(t.lead)}</span>" if t.lead else ""
        cells.append(f"<td>{_link(t)}{lead}</td>")
    caption = f"<caption>{_e(heading)}</caption>" if heading and rng.random() < 0.5 else ""
    above = _heading_html(rng, heading) if heading and not caption else ""
    return f'{above}<table{_attrs(rng, cls)}>{caption}<tr>{"".join(cells)}</tr></table>'


def _ticker(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    sep = rng.choice((" | ", " • ", " · ", " | "))
    links = sep.join(_link(t) for t in items)
    label = f"<strong>{_e(heading)}:</strong> " if heading else ""
    return f"<div{_attrs(rng, cls)}>{label}{links}</div>"


def _articles(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    arts = []
    for t in items:
        lead = f"<p>{_e(t.lead)}</p>" if t.lead else ""
        arts.append(f'<article class="{_e(item_class(rng))}"><h3>{_link(t)}</h3>{lead}{_maybe_date(rng)}</article>')
    return f'<section{_attrs(rng, cls)}>{_heading_html(rng, heading)}{"".join(arts)}</section>'


def _most_read(rng: random.Random, items: Sequence[Teaser], heading: str | None, cls: str) -> str:
    numbered = rng.random() < 0.5
    lis = []
    for i, t in enumerate(items, start=1):
        num = f'<span class="{_e(rng.choice(("num", "rank", generated_class(rng))))}">{i}</span> ' if numbered else ""
        lis.append(f"<li>{num}{_link(t)}</li>")
    return f'<div{_attrs(rng, cls)}>{_heading_html(rng, heading)}<ol>{"".join(lis)}</ol></div>'


_RENDER: dict[str, Callable[[random.Random, Sequence[Teaser], str | None, str], str]] = {
    "list": _list, "cards": _cards, "aside": _aside, "table": _table, "ticker": _ticker,
    "articles": _articles, "most-read": _most_read,
}
#: How often items carry their lead, by shape (a ticker or a "most read" list rarely does).
LEAD_SHARE = {"list": 0.2, "cards": 0.7, "aside": 0.4, "table": 0.3, "ticker": 0.0, "articles": 0.6,
              "most-read": 0.05}


def render_container(shape: str, rng: random.Random, items: Sequence[Teaser], heading: str | None,
                     cls: str) -> str:
    """A widget of ``items`` in one of :data:`CONTAINER_SHAPES`."""
    return _RENDER[shape](rng, items, heading, cls)


def render_inline(shape: str, rng: random.Random, items: Sequence[Teaser], label: str, cls: str) -> str:
    """A "Read more: <headline>" line, or a small boxed list, to sit between story paragraphs."""
    if shape == "read-more-line":
        t = items[0]
        if rng.random() < 0.3:
            return f"<p>{_link(t, _e(label + ' ' + t.headline))}</p>"
        tag = rng.choice(("strong", "b", "em"))
        return f"<p><{tag}>{_e(label)}</{tag}> {_link(t)}</p>"
    lis = "".join(f"<li>{_link(t)}</li>" for t in items)
    box = rng.choice(("div", "aside"))
    return f'<{box}{_attrs(rng, cls)}><h4>{_e(label.rstrip(" :"))}</h4><ul>{lis}</ul></{box}>'


def site_name(domain: str) -> str:
    """A readable site name from a host: ``news.example.co.uk`` -> ``Example``."""
    labels = [x for x in domain.split(".") if x]
    if len(labels) < 2:
        return domain.capitalize() or "us"
    i = len(labels) - 2
    while i > 0 and labels[i] in ("co", "com", "org", "net", "gov", "ac", "edu", "or", "ne"):
        i -= 1
    return labels[i].replace("-", " ").title()


_SLUG = re.compile(r"[a-z0-9]+")


def teaser_href(rng: random.Random, headline: str, host: str, style: int) -> str:
    """A link to another path on the same site, in one of a few URL styles."""
    slug = "-".join(_SLUG.findall(headline.lower())[:8]) or f"article-{rng.randint(1000, 99999)}"
    if style == 0:
        return f"/{rng.choice(('news', 'world', 'culture', 'blog', 'business', 'sport'))}/{slug}"
    if style == 1:
        return f"/{rng.randint(2015, 2025)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{slug}/"
    if style == 2:
        return f"/{slug}-{rng.randint(100000, 9999999)}.html"
    return f"https://{host or 'example.org'}/{slug}"

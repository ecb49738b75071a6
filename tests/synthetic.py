"""Synthetic news pages for the tests: invented words, seeded, small.

Every page has a story (headline + paragraphs of sentence-like text) wrapped in
the clutter storyfilter is meant to drop: a nav bar, a byline, a share bar, a
"Recommended for you" teaser list, a related-links box and a footer. Each fake
site has its own template (class names, tags), so grouped cross-validation has
something to generalise over. No text here comes from any real corpus.
"""
from __future__ import annotations

import gzip
import html as html_lib
import json
import random
from dataclasses import dataclass
from pathlib import Path

SUBJECTS = ("the council", "a local farmer", "the harbour board", "our reporter", "the museum curator",
            "residents of the valley", "the school governors", "a retired engineer", "the ferry operator",
            "volunteers from the trust", "the regional planner", "two young builders", "the head nurse")
VERBS = ("agreed to review", "quietly rebuilt", "questioned the cost of", "set out to measure",
         "has long opposed", "voted to extend", "spent the winter repairing", "asked for a study of",
         "welcomed the plan for", "raised concerns about", "found a way to fund", "started to map")
OBJECTS = ("the old stone bridge", "a new cycle path", "the flooded meadow", "the library roof",
           "the northern bus route", "a community orchard", "the tidal defences", "the market square",
           "the abandoned rail depot", "a shared heating scheme", "the wetland boardwalk", "the grain mill")
TAILS = ("before the spring tides arrived", "after a long public meeting", "despite a tight budget",
         "with help from neighbouring villages", "according to figures released on Monday",
         "although several questions remain open", "while the weather stayed dry", "for the third year running",
         "as the deadline drew closer", "in a report published this week")
QUOTES = ("We did not expect so many people to care", "It is slow work but it matters",
          "Nobody here wants to lose the place", "The numbers simply did not add up",
          "Everyone had a view and most of them were right")
TEASER_TOPICS = ("Gardening", "Weekend", "Quiz", "Travel", "Recipes", "Puzzles", "Style", "Money", "Pets",
                 "Gadgets")
TEASER_HOOKS = ("ten tricks you never knew", "the secret nobody tells you", "why everyone is talking",
                "what happened next will amaze you", "the one habit to drop now", "seven photos to see",
                "our favourite picks", "is this the best yet", "the list you need")
NAV_ITEMS = ("Home", "News", "Sport", "Opinion", "Culture", "Weather", "Contact")

SITES = [
    # (domain, wrapper tag + class for the story, teaser box class, related box class, nav class)
    ("riverside-gazette.test", ("div", "story-body"), "rec-widget", "related-links", "top-nav"),
    ("hilltop-herald.test", ("article", "post"), "recommended", "more-from", "menu"),
    ("coastal-courier.test", ("div", "article-text"), "promo-list", "related", "navbar"),
    ("valley-voice.test", ("section", "content"), "teasers", "see-also", "site-nav"),
    ("market-messenger.test", ("div", "entry"), "suggested", "related-posts", "header-menu"),
    ("moorland-mail.test", ("main", "main-col"), "popular-now", "morestories", "nav"),
    ("estuary-echo.test", ("div", "txt"), "recommendations", "related-box", "topbar"),
    ("orchard-observer.test", ("div", "body-copy"), "you-may-like", "related-list", "primary-nav"),
]


@dataclass
class SyntheticPage:
    id: str
    url: str
    html: str
    main_text: str
    title: str
    paragraphs: list[str]
    teasers: list[str]
    text: str  # the page as a scraper's plain text: story lines, then clutter lines


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f'"{rng.choice(QUOTES)}," said {rng.choice(SUBJECTS)}.'
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    return s[0].upper() + s[1:]


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def _title(rng: random.Random) -> str:
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    return s[0].upper() + s[1:]


def _teaser(rng: random.Random) -> str:
    return f"{rng.choice(TEASER_TOPICS)}: {rng.choice(TEASER_HOOKS)}"


def make_page(site_index: int, page_index: int, rng: random.Random) -> SyntheticPage:
    domain, (story_tag, story_class), rec_class, related_class, nav_class = SITES[site_index % len(SITES)]
    e = html_lib.escape
    title = _title(rng)
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(4, 6))]
    teasers = [_teaser(rng) for _ in range(rng.randint(4, 5))]
    related = [_teaser(rng) for _ in range(3)]
    slug = f"story-{page_index}"
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV_ITEMS)
    rec_items = "".join(f'<li><a href="/t/{i}">{e(t)}</a></li>' for i, t in enumerate(teasers))
    rel_items = "".join(f'<li><a href="/r/{i}">{e(t)}</a></li>' for i, t in enumerate(related))
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    html = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + e(title) + "</title></head><body>"
        f'<div class="{nav_class}"><ul>{nav}</ul></div>'
        f'<{story_tag} class="{story_class}"><h1>{e(title)}</h1>'
        f'<p class="byline">By Staff Writer | {rng.randint(1, 28)} March</p>{body}'
        f'<div class="share"><a href="#">Share</a> <a href="#">Email</a> <a href="#">Print</a></div>'
        f"</{story_tag}>"
        f'<div class="{rec_class}"><h3>Recommended for you</h3><ul>{rec_items}</ul></div>'
        f'<div class="{related_class}"><h4>Related</h4><ul>{rel_items}</ul></div>'
        f'<div class="footer"><p>Copyright {domain} | Privacy | Terms | Cookies</p></div>'
        "</body></html>"
    )
    main_text = "\n".join([title, *paragraphs])
    text = "\n".join([*NAV_ITEMS[:4], title, *paragraphs, "Recommended for you", *teasers,
                      "Related", *related, f"Copyright {domain} | Privacy | Terms"])
    return SyntheticPage(id=f"s{site_index}-p{page_index}", url=f"https://www.{domain}/{slug}", html=html,
                         main_text=main_text, title=title, paragraphs=paragraphs, teasers=teasers, text=text)


def make_pages(n_sites: int = 8, pages_per_site: int = 5, seed: int = 7) -> list[SyntheticPage]:
    rng = random.Random(seed)
    return [make_page(s, p, rng) for s in range(n_sites) for p in range(pages_per_site)]


def write_pages_jsonl(path: Path, pages: list[SyntheticPage]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for p in pages:
            handle.write(json.dumps({"id": p.id, "url": p.url, "html": p.html, "main_text": p.main_text}) + "\n")
    return path


def write_gold_folder(folder: Path, pages: list[SyntheticPage]) -> Path:
    """A WCXB-like layout: ``html/ID.html.gz`` + ``ground-truth/ID.json``."""
    (folder / "html").mkdir(parents=True, exist_ok=True)
    (folder / "ground-truth").mkdir(parents=True, exist_ok=True)
    for p in pages:
        (folder / "html" / f"{p.id}.html.gz").write_bytes(gzip.compress(p.html.encode("utf-8")))
        record = {"url": p.url, "ground_truth": {"main_content": p.main_text, "with": [p.paragraphs[0][:40]],
                                                  "without": [p.teasers[0]]},
                  "_internal": {"page_type": {"primary": "article"}}}
        (folder / "ground-truth" / f"{p.id}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def labelled_rows(page: SyntheticPage) -> list[dict]:
    """The page's text lines as plain labelled blocks ``{page_id, position, text, label}``."""
    story = {page.title, *page.paragraphs}
    return [{"page_id": page.id, "position": i, "text": line, "label": "story" if line in story else "boilerplate"}
            for i, line in enumerate(page.text.splitlines())]


# ----- hard pages: noisy templates, overlapping vocabularies ------------------------------------
SHARED_CLASSES = ("box", "col", "content", "module", "block", "wrap", "panel", "item")
SUBHEADS = ("What happens next", "The cost", "A long history", "Questions remain", "Ten years on", "Our picks")


def _teaser_like_story(rng: random.Random) -> str:
    """A teaser written in the story's own words: a title, sometimes a one-line summary."""
    title = _title(rng)
    if rng.random() < 0.4:
        return f"{title}. {_sentence(rng)}"
    return title + ("." if rng.random() < 0.3 else "")


def _noisy_paragraph(rng: random.Random) -> str:
    """A story paragraph: often long, sometimes one short line, sometimes with a teaser's words."""
    if rng.random() < 0.25:
        return _sentence(rng)
    text = _paragraph(rng)
    if rng.random() < 0.25:
        text += f" {rng.choice(TEASER_TOPICS)}: {rng.choice(TEASER_HOOKS)}."
    return text


def make_hard_page(site_index: int, page_index: int, rng: random.Random) -> SyntheticPage:
    """A page whose story and clutter share words, classes and shapes.

    Story paragraphs may be one short sentence or carry a link; teasers may be story-like
    titles with a summary sentence; the recommended box sits inside the story wrapper on
    some pages; class names are drawn from one pool for story and clutter alike.
    """
    domain = f"site{site_index}.test"
    e = html_lib.escape
    pick = lambda: rng.choice(SHARED_CLASSES)  # noqa: E731
    title = _title(rng)
    paragraphs = [_noisy_paragraph(rng) for _ in range(rng.randint(3, 6))]
    subhead = rng.choice(SUBHEADS) if rng.random() < 0.5 else None
    teasers = [_teaser_like_story(rng) if rng.random() < 0.6 else _teaser(rng) for _ in range(rng.randint(3, 6))]
    related = [_teaser_like_story(rng) for _ in range(rng.randint(2, 4))]
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in rng.sample(NAV_ITEMS, 4))
    story_parts = []
    for i, p in enumerate(paragraphs):
        if rng.random() < 0.2:  # a link inside the story
            words = p.split(" ")
            cut = rng.randint(1, max(1, len(words) - 1))
            p_html = e(" ".join(words[:cut])) + f' <a href="/x/{i}">{e(words[cut] if cut < len(words) else "")}</a> ' \
                + e(" ".join(words[cut + 1:]))
        else:
            p_html = e(p)
        story_parts.append(f'<p class="{pick()}">{p_html}</p>')
        if subhead and i == 1:
            story_parts.append(f"<h2>{e(subhead)}</h2>")
    rec_items = "".join(f'<li class="{pick()}"><a href="/t/{i}">{e(t)}</a></li>' for i, t in enumerate(teasers))
    rec_box = f'<div class="{pick()}"><h3>{rng.choice(["More", "Recommended", "Read next"])}</h3><ul>{rec_items}</ul></div>'
    rel_items = "".join(f'<p class="{pick()}"><a href="/r/{i}">{e(t)}</a></p>' for i, t in enumerate(related))
    inside = rng.random() < 0.4
    story_tag = rng.choice(("div", "article", "section", "main"))
    story = f'<{story_tag} class="{pick()}"><h1>{e(title)}</h1>' + "".join(story_parts) + \
        (rec_box if inside else "") + f"</{story_tag}>"
    clutter_after = ("" if inside else rec_box) + f'<div class="{pick()}">{rel_items}</div>'
    html = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + e(title) + "</title></head><body>"
            f'<div class="{pick()}"><ul>{nav}</ul></div>' + story + clutter_after +
            f'<div class="{pick()}"><p>Copyright {domain} | Privacy | Terms</p></div></body></html>')
    story_lines = [title, *paragraphs[:2], *([subhead] if subhead else []), *paragraphs[2:]]
    main_text = "\n".join(story_lines)
    text = "\n".join([*NAV_ITEMS[:3], *story_lines, *teasers, *related, f"Copyright {domain} | Privacy | Terms"])
    return SyntheticPage(id=f"h{site_index}-p{page_index}", url=f"https://www.{domain}/story-{page_index}",
                         html=html, main_text=main_text, title=title, paragraphs=paragraphs, teasers=teasers,
                         text=text)


def make_hard_pages(n_sites: int = 12, pages_per_site: int = 5, seed: int = 7) -> list[SyntheticPage]:
    rng = random.Random(seed)
    return [make_hard_page(s, p, rng) for s in range(n_sites) for p in range(pages_per_site)]


def split_by_site(examples, test_sites: int) -> tuple[list, list, list, list, list]:
    """Train on every site but the last ``test_sites`` (by name), test on those: no template shared.

    Returns train pages, labels and groups, then test pages and labels.
    """
    held_out = set(sorted(set(examples.groups))[-test_sites:])
    train = [i for i, g in enumerate(examples.groups) if g not in held_out]
    test = [i for i, g in enumerate(examples.groups) if g in held_out]

    def pick(indices: list[int], seq: list) -> list:
        return [seq[i] for i in indices]

    return (pick(train, examples.pages), pick(train, examples.labels), pick(train, examples.groups),
            pick(test, examples.pages), pick(test, examples.labels))

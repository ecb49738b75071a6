"""A small news site for the Scrapy tests and the crawl benchmark, served on a loopback port.

Story pages carry the clutter storyfilter must drop: a nav bar, a share bar, a
"RECOMMENDED FOR YOU" teaser list, a related box, a newsletter box and a footer. Beside
them: a windows-1252 page (charset only in the HTTP header), a broken page, an empty
page, a PNG and a missing page. All text is written here (seeded variations for the
benchmark); nothing comes from a real site.
"""
from __future__ import annotations

import html as html_lib
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

NAV = ("Home", "World", "Business", "Science", "Sport", "Opinion", "Weather")
TEASERS = ("Ten garden tools you will wish you had bought sooner",
           "The breakfast habit doctors keep arguing about",
           "Why everyone is suddenly talking about sourdough",
           "Quiz: how well do you know the capital cities?",
           "Seven weekend walks with a view worth the climb",
           "The one phone setting you should turn off tonight")
RELATED = ("Council delays vote on harbour lighting", "Volunteers count birds along the estuary",
           "Ferry timetable changes announced for winter")
CLUTTER_WORDS = ("RECOMMENDED FOR YOU", "Sign up for our morning newsletter", "Share on Facebook",
                 "All rights reserved")

SUBJECTS = ("The harbour commission", "A team of marine biologists", "The county engineer",
            "Local fishermen", "The lighthouse trust", "Two researchers from the university",
            "The ferry company", "Residents of the old quarter", "The water authority", "A retired pilot")
ACTIONS = ("published a long-awaited survey of", "spent three winters measuring", "raised fresh doubts about",
           "proposed an unusual plan to restore", "quietly began repairing", "asked the regional government to pay for",
           "collected hundreds of samples from", "warned that rising tides threaten",
           "mapped for the first time", "agreed after months of debate to protect")
PLACES = ("the eastern sea wall", "the silted channel near the old mill", "the salt marshes north of town",
          "the nineteenth-century breakwater", "the oyster beds in the bay", "the flooded coastal path",
          "the abandoned boatyard", "the dunes behind the beach", "the tidal pools below the cliffs")
DETAILS = ("The findings, released on Thursday, surprised even those who had followed the work closely.",
           "Officials said the cost would be shared between the town and the national heritage fund.",
           "Critics argued that the money would be better spent on housing, but the meeting voted in favour.",
           "Measurements taken at low tide showed the damage was far worse than earlier estimates suggested.",
           "The work is expected to begin in early spring, once the storm season has passed.",
           "Several families who have lived on the waterfront for generations attended the public hearing.",
           "A spokesperson said a full report, including the raw data, would be published online next month.",
           "Similar projects along the coast have taken twice as long as planned and cost far more.")


@dataclass
class Page:
    """One resource of the site: what the server sends, and what a test expects of its story."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    story: list[str] = field(default_factory=list)  # sentences the story text must keep


def _e(text: str) -> str:
    return html_lib.escape(text, quote=True)


def story_page(title: str, paragraphs: list[str], charset: str = "utf-8", meta: bool = True) -> str:
    """A story wrapped in every kind of clutter; ``meta=False`` leaves the charset to the header."""
    nav = "".join(f'<li><a href="/section/{n.lower()}">{n}</a></li>' for n in NAV)
    teasers = "".join(f'<li><a href="/t/{i}"><img src="/i/{i}.jpg" alt="">{_e(t)}</a></li>'
                      for i, t in enumerate(TEASERS))
    related = "".join(f'<li><a href="/r/{i}">{_e(t)}</a></li>' for i, t in enumerate(RELATED))
    body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    head_meta = f'<meta charset="{charset}">' if meta else ""
    return (f"<!DOCTYPE html><html lang=\"en\"><head>{head_meta}<title>{_e(title)} | Harbour Herald</title>"
            "</head><body>"
            f'<header class="site-header"><a class="logo" href="/">Harbour Herald</a>'
            f'<nav class="main-nav"><ul>{nav}</ul></nav></header>'
            f'<main><article class="story"><h1>{_e(title)}</h1>'
            '<p class="byline">By Morgan Reed, Coastal Affairs Correspondent</p>'
            f'<div class="story-body">{body}</div>'
            '<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> '
            '<a href="#">Email</a></div></article>'
            f'<aside class="recommended-for-you"><h2>RECOMMENDED FOR YOU</h2><ul>{teasers}</ul></aside>'
            f'<aside class="related-stories"><h3>Related stories</h3><ul>{related}</ul></aside>'
            '<div class="newsletter-box"><p>Sign up for our morning newsletter</p>'
            '<form><input type="email"><button>Subscribe</button></form></div></main>'
            '<footer class="site-footer"><p>Harbour Herald. All rights reserved.</p>'
            '<ul><li><a href="/privacy">Privacy</a></li><li><a href="/cookies">Cookies</a></li></ul></footer>'
            "</body></html>")


def varied_story(rng: random.Random) -> tuple[str, list[str]]:
    """A headline and 4-6 paragraphs of sentence-like prose, different for every seed."""
    def sentence() -> str:
        return f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(PLACES)}."

    title = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(PLACES)}"
    paragraphs = [" ".join([sentence(), rng.choice(DETAILS), sentence()]) for _ in range(rng.randint(4, 6))]
    return title, paragraphs


FIXED_STORIES = {
    1: ("Sea wall repairs to start before the winter storms", [
        ("Repairs to the eastern sea wall will start next month, the harbour commission confirmed on "
        "Tuesday, after engineers found that two sections had been undermined by the autumn gales."),
        ("The commission said the work would cost about four million pounds and take most of the winter. "
        "Traffic on the coast road will be limited to one lane while the cranes are in place."),
        ("Residents who lost their gardens to the sea last year welcomed the news but asked why the repairs "
        "had taken so long to approve. A public meeting is planned for the end of the month."),
        ("The county engineer said the new wall would be built a metre higher than the old one, to allow "
        "for the higher tides expected over the coming decades.")]),
    2: ("Researchers find rare seahorses in the harbour", [
        ("A small colony of spiny seahorses has been found living among the eelgrass at the mouth of the "
        "harbour, researchers from the university announced this week."),
        ("Divers counted more than forty of the animals during a survey in August, the largest group "
        "recorded on this stretch of coast since monitoring began almost thirty years ago."),
        ("The team has asked boat owners to avoid anchoring over the eelgrass beds, which are easily torn "
        "up by chains and take many years to grow back."),
        ("Volunteers will be trained to carry out further counts next summer, and the results will be "
        "shared with the national marine conservation survey.")]),
    3: ("Ferry company promises quieter engines by next summer", [
        ("The ferry company has promised to fit quieter electric engines to its two oldest boats by next "
        "summer, after years of complaints from people living along the crossing route."),
        ("Its managing director told a packed meeting in the town hall that the conversion would cut noise "
        "on the quayside by half and save the company money on fuel within five years."),
        ("Some passengers worried that the work would mean fewer crossings during the spring, but the "
        "company said a hired boat would keep the timetable running while the engines are replaced."),
        ("The harbour master said he would measure the noise before and after the change and publish the "
        "figures on the council website.")]),
}

CP1252_STORY = ("Café owners cheer the new promenade", [
    ("The café owners along the promenade say the new seafront has brought “more visitors in one month "
    "than in the whole of last summer”, and several have hired extra staff for the season."),
    ("Léa Fontaine, who runs a crêperie near the pier, said takings were up by a third. "
    "A coffee now costs €2.50 at most stalls, the same as before the work began."),
    ("The council says the promenade cost less than planned because the old paving stones were cleaned "
    "and reused rather than thrown away, a choice that also kept the street’s character.")])

BROKEN_STORY = ("Storm damage survey finds cracks in the breakwater", [
    ("A survey of the nineteenth-century breakwater after last week's storm found long cracks in the "
    "outer wall, and the commission has closed the walkway to the public until further notice."),
    ("Engineers will return with divers on Monday to check the foundations below the waterline, where "
    "most of the damage is thought to be hidden.")])


def broken_page() -> bytes:
    """Unclosed and stray tags, an unterminated comment and attribute, cut off mid-tag."""
    title, paragraphs = BROKEN_STORY
    return ("<html><head><title>Storm damage</title><body><div class=main-nav><ul><li>Home<li>World</ul>"
            f"</div></div></span><article><h1>{title}<p>{paragraphs[0]}<p>{paragraphs[1]}"
            "<table><tr><td><aside class=recommended><h2>RECOMMENDED FOR YOU</h2><ul>"
            + "".join(f"<li><a href=/t/{i}>{t}" for i, t in enumerate(TEASERS[:3]))
            + '<!-- an unterminated comment <div class="x" title="no end >'
              "<p>lost</p></body></html><div class=\"trunc").encode("utf-8")


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
       + bytes(range(256)) * 4)


def news_site() -> dict[str, Page]:
    """The site of the crawl tests: 3 stories, a windows-1252, a broken, an empty page, a PNG, a 404."""
    site: ClassVar[dict[str, Page]] = {}
    for n, (title, paragraphs) in FIXED_STORIES.items():
        site[f"/story/{n}"] = Page(story_page(title, paragraphs).encode("utf-8"), story=paragraphs)
    title, paragraphs = CP1252_STORY
    site["/story/cafe"] = Page(story_page(title, paragraphs, meta=False).encode("cp1252"),
                               content_type="text/html; charset=windows-1252", story=paragraphs)
    site["/story/broken"] = Page(broken_page(), story=BROKEN_STORY[1])
    site["/story/empty"] = Page(b"<!DOCTYPE html><html><head><title>Nothing here</title></head><body></body></html>")
    site["/media/photo.png"] = Page(PNG, content_type="image/png")
    links = [*site, "/story/missing"]
    site["/"] = Page(index_page(links).encode("utf-8"))
    return site


def bench_site(n_pages: int, seed: int = 0) -> dict[str, Page]:
    """``n_pages`` varied story pages behind index pages of 50 links each."""
    rng = random.Random(seed)
    site: ClassVar[dict[str, Page]] = {}
    for i in range(n_pages):
        title, paragraphs = varied_story(rng)
        site[f"/story/{i}"] = Page(story_page(title, paragraphs).encode("utf-8"), story=paragraphs)
    stories = list(site)
    indexes = [stories[i:i + 50] for i in range(0, len(stories), 50)]
    for k, links in enumerate(indexes):
        more = [f"/index/{k + 1}"] if k + 1 < len(indexes) else []
        site["/" if k == 0 else f"/index/{k}"] = Page(index_page(links + more).encode("utf-8"))
    return site


def index_page(links: list[str]) -> str:
    items = "".join(f'<li><a href="{_e(path)}">{_e(path)}</a></li>' for path in links)
    return f"<html><head><title>Harbour Herald</title></head><body><h1>Latest</h1><ul>{items}</ul></body></html>"


class _Handler(BaseHTTPRequestHandler):
    site: ClassVar[dict[str, Page]] = {}
    delay: float = 0.0

    def do_GET(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        page = self.site.get(self.path.split("?", 1)[0])
        if page is None:
            page = Page(b"<html><body><h1>Not found</h1></body></html>", status=404)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


@contextmanager
def serve_site(site: dict[str, Page], delay: float = 0.0) -> Iterator[str]:
    """Serve ``site`` on a free loopback port in a thread; yields the base URL. ``delay`` seconds
    before each answer stand in for a remote site's latency."""
    handler = type("SiteHandler", (_Handler,), {"site": site, "delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

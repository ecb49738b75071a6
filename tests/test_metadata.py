"""Metadata in the result: each source (JSON-LD, OpenGraph, <meta>, the page itself, none at
all, sources that disagree) through Python, the JSON result, the CLI and HTTP; text mode;
the page type when asked; hostile input never crashes.

Every page is written here; names, sites and events are invented.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import load_model
from classifier.dates import iso_date
from classifier.html_segmenter import parse_html, segment_tree
from classifier.language import declared_language, detect_language
from classifier.metadata import EMPTY, Metadata
from classifier.page_facts import html_metadata
from classifier.result import FilterResult
from classifier.text_facts import title_line, text_metadata

STORY_EN = ("<p>The harbour council of Westmere voted on Tuesday evening to rebuild the old stone pier, "
            "which has stood since the town was founded and was badly damaged in last winter's storms.</p>"
            "<p>Work will begin in the spring and should take about eighteen months, the council said, "
            "with the fishing fleet moved to the northern quay while the builders are at work.</p>"
            "<p>Residents who spoke at the meeting were mostly in favour, though several asked that the "
            "pier's iron lamps be kept and restored rather than replaced with modern ones.</p>")
STORY_DE = ("<p>Der Gemeinderat von Westmere hat am Dienstagabend beschlossen, die alte Steinmole neu zu "
            "bauen, die seit der Gründung der Stadt steht und im letzten Winter schwer beschädigt wurde.</p>"
            "<p>Die Arbeiten beginnen im Frühjahr und sollen etwa achtzehn Monate dauern, während die "
            "Fischer ihre Boote so lange am nördlichen Kai festmachen müssen.</p>")


def page(head: str = "", body: str = "", lang: str | None = "en") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return f"<!doctype html><html{lang_attr}><head>{head}</head><body>{body}</body></html>"


JSON_LD_PAGE = page(
    '<title>Pier to be rebuilt | Westmere Post</title>'
    '<script type="application/ld+json">' + json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Westmere Post", "url": "https://post.example/"},
        {"@type": "NewsArticle", "headline": "Council votes to rebuild the old pier",
         "author": [{"@type": "Person", "name": "Ann Weller"}, {"@type": "Person", "name": "Tom Okafor"}],
         "datePublished": "2025-03-04T18:30:00+01:00", "dateModified": "2025-03-05T08:00:00+01:00",
         "description": "The stone pier will be rebuilt from the spring.",
         "image": {"@type": "ImageObject", "url": "/img/pier.jpg"},
         "publisher": {"@type": "Organization", "name": "Westmere Post"},
         "inLanguage": "en-GB", "url": "https://post.example/2025/03/04/pier"}]}) + "</script>",
    "<article><h1>Council votes to rebuild the old pier</h1>" + STORY_EN + "</article>", lang=None)

OPENGRAPH_PAGE = page(
    '<title>Pier news</title>'
    '<meta property="og:title" content="Pier to be rebuilt from spring - Coast Daily">'
    '<meta property="og:site_name" content="Coast Daily">'
    '<meta property="og:description" content="A vote at the harbour council.">'
    '<meta property="og:image" content="https://cdn.coast.example/pier.jpg">'
    '<meta property="og:url" content="https://coast.example/pier-rebuilt">'
    '<meta property="og:locale" content="en_US">'
    '<meta property="article:published_time" content="2025-03-04T17:30:00Z">'
    '<meta property="article:author" content="Ann Weller">',
    "<h1>Pier to be rebuilt from spring</h1>" + STORY_EN, lang=None)

META_PAGE = page(
    '<title>Pier to be rebuilt</title>'
    '<meta name="author" content="By Ann Weller">'
    '<meta name="description" content="The harbour council voted on Tuesday.">'
    '<meta name="date" content="2025-03-04">'
    '<meta name="application-name" content="Westmere Weekly">'
    '<meta http-equiv="content-language" content="de-AT">',
    "<h1>Pier to be rebuilt</h1>" + STORY_DE, lang=None)

IN_PAGE_PAGE = page(
    "<title>Pier to be rebuilt — Harbour Notes</title>",
    '<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>'
    '<main><h1>Pier to be rebuilt</h1><p class="byline">By <a href="/ann">Ann Weller</a></p>'
    '<time datetime="2025-03-04T09:15:00+00:00">4 March 2025</time>' + STORY_EN + "</main>")

DATELINE_PAGE = page(
    "<title>Pier to be rebuilt</title>",
    "<h1>Pier to be rebuilt</h1><p>Westmere, 4 March 2025</p>" + STORY_EN)

NOTHING_PAGE = "<html><body>" + STORY_DE + "</body></html>"

CONFLICTING_PAGE = page(
    '<title>Title tag headline | Site A</title>'
    '<meta property="og:title" content="OpenGraph headline">'
    '<meta property="og:site_name" content="Site B">'
    '<meta name="author" content="Meta Author">'
    '<meta property="article:published_time" content="2024-01-01T00:00:00Z">'
    '<meta name="description" content="Meta description">'
    '<meta property="og:description" content="OpenGraph description">'
    '<link rel="canonical" href="https://canonical.example/story">'
    '<meta property="og:url" content="https://og.example/story">'
    '<script type="application/ld+json">' + json.dumps({
        "@type": "Article", "headline": "JSON-LD headline", "author": {"@type": "Person", "name": "Ld Author"},
        "datePublished": "2025-03-04", "publisher": {"name": "Site C"}}) + "</script>",
    '<h1>Page headline</h1><p class="byline">By Byline Author</p>'
    '<time datetime="2023-06-06">6 June 2023</time>' + STORY_EN, lang="fr")


@pytest.fixture(scope="module")
def model():
    return load_model()


def metadata_of_page(html: str, url: str | None = None) -> Metadata:
    tree = parse_html(html)
    return html_metadata(tree, url, segment_tree(tree))


# ----- each source -------------------------------------------------------------------------

def test_json_ld_gives_every_field(model):
    meta = model.filter_html(JSON_LD_PAGE, url="https://post.example/feed?id=9").metadata
    assert meta.title == "Council votes to rebuild the old pier"
    assert meta.author == "Ann Weller; Tom Okafor"
    assert meta.date == "2025-03-04T18:30:00+01:00"  # published, not modified
    assert meta.site_name == "Westmere Post"
    assert meta.description == "The stone pier will be rebuilt from the spring."
    assert meta.language == "en"  # inLanguage en-GB
    assert meta.url == "https://post.example/2025/03/04/pier"
    assert meta.image == "https://post.example/img/pier.jpg"  # resolved against the page's URL


def test_opengraph_gives_every_field_and_the_title_loses_the_site_name(model):
    meta = model.filter_html(OPENGRAPH_PAGE).metadata
    assert meta == Metadata(title="Pier to be rebuilt from spring", author="Ann Weller",
                            date="2025-03-04T17:30:00+00:00", site_name="Coast Daily", language="en",
                            description="A vote at the harbour council.", url="https://coast.example/pier-rebuilt",
                            image="https://cdn.coast.example/pier.jpg")


def test_plain_meta_tags(model):
    meta = model.filter_html(META_PAGE, url="https://weekly.example/pier").metadata
    assert meta.title == "Pier to be rebuilt"
    assert meta.author == "Ann Weller"  # "By" dropped
    assert meta.date == "2025-03-04"
    assert meta.site_name == "Westmere Weekly"
    assert meta.description == "The harbour council voted on Tuesday."
    assert meta.language == "de"  # content-language de-AT
    assert meta.url == "https://weekly.example/pier"  # no canonical: where it came from
    assert meta.image is None


def test_byline_time_and_headline_from_the_page_itself(model):
    meta = model.filter_html(IN_PAGE_PAGE).metadata
    assert meta.title == "Pier to be rebuilt"
    assert meta.author == "Ann Weller"
    assert meta.date == "2025-03-04T09:15:00+00:00"
    assert meta.language == "en"  # <html lang="en">
    assert (meta.site_name, meta.description, meta.url, meta.image) == (None, None, None, None)


def test_a_dateline_near_the_headline_and_a_date_in_the_url():
    assert metadata_of_page(DATELINE_PAGE).date == "2025-03-04"
    bare = page("<title>Pier</title>", STORY_EN)
    assert metadata_of_page(bare).date is None
    assert metadata_of_page(bare, "https://news.example/2024/11/7/pier").date == "2024-11-07"


def test_a_page_that_says_nothing_gets_its_language_from_the_story(model):
    result = model.filter_html(NOTHING_PAGE)
    assert "Gemeinderat" in result.story_text
    assert result.metadata == Metadata(language="de")
    assert metadata_of_page(NOTHING_PAGE) == EMPTY  # detection happens on the story, after scoring


def test_when_sources_disagree_what_the_site_wrote_for_machines_wins(model):
    meta = model.filter_html(CONFLICTING_PAGE, url="https://fetched.example/x").metadata
    assert meta.title == "JSON-LD headline"
    assert meta.author == "Ld Author"
    assert meta.date == "2025-03-04"
    assert meta.site_name == "Site B"  # og:site_name before the JSON-LD publisher
    assert meta.description == "Meta description" or meta.description == "OpenGraph description"
    assert meta.url == "https://canonical.example/story"  # canonical link first
    assert meta.language == "fr"  # declared wins over what the English story would say


def test_og_title_wins_over_the_title_tag_and_meta_over_the_byline():
    html = CONFLICTING_PAGE.split('<script type="application/ld+json">')[0] + "</head><body>" + \
        '<h1>Page headline</h1><p class="byline">By Byline Author</p>' + STORY_EN + "</body></html>"
    meta = metadata_of_page(html)
    assert meta.title == "OpenGraph headline"
    assert meta.author == "Meta Author"
    assert meta.date == "2024-01-01T00:00:00+00:00"


# ----- the JSON result, the CLI and HTTP -------------------------------------------------------

def test_metadata_survives_the_json_result(model):
    result = model.filter_html(JSON_LD_PAGE, page_type=True)
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data["metadata"]) == {"title", "author", "date", "site_name", "language", "description", "url",
                                     "image", "page_type", "page_type_probability"}
    assert FilterResult.from_dict(data).metadata == result.metadata
    assert FilterResult.from_dict({"story_text": ""}).metadata == EMPTY  # results written before metadata


def test_metadata_from_dict_ignores_what_is_not_metadata():
    got = Metadata.from_dict({"title": "T", "author": 5, "page_type_probability": "high", "other": "x"})
    assert got == Metadata(title="T")
    assert Metadata.from_dict(["not", "a", "dict"]) == EMPTY


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "serving.cli", "extract", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_json_carries_metadata_and_the_page_type_when_asked(model, tmp_path):
    path = tmp_path / "pier.html"
    path.write_text(OPENGRAPH_PAGE, encoding="utf-8")
    done = run_cli(str(path), "--format", "json", "--url", "https://coast.example/elsewhere")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    expected = model.filter_html(OPENGRAPH_PAGE, url="https://coast.example/elsewhere").metadata
    assert data["metadata"] == expected.to_dict()
    assert data["metadata"]["page_type"] is None
    typed = run_cli(str(path), "--format", "json", "--page-type")
    assert typed.returncode == 0, typed.stderr
    guess = model.filter_html(OPENGRAPH_PAGE, page_type=True).metadata
    assert json.loads(typed.stdout)["metadata"]["page_type"] == guess.page_type is not None
    assert json.loads(typed.stdout)["metadata"]["page_type_probability"] == guess.page_type_probability


def test_http_response_carries_metadata_and_the_page_type_when_asked(model):
    from extras import require

    require("fastapi")
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from serving.settings import Settings

    app = create_app(Settings())
    with TestClient(app) as client:
        assert app.state.holder.done.wait(120) and app.state.holder.model is not None, app.state.holder.error
        answer = client.post("/v1/score", json={"html": JSON_LD_PAGE, "include_blocks": False})
        assert answer.status_code == 200, answer.text
        assert answer.json()["metadata"] == model.filter_html(JSON_LD_PAGE).metadata.to_dict()
        typed = client.post("/v1/score", json={"html": JSON_LD_PAGE, "page_type": True}).json()
        guess = model.filter_html(JSON_LD_PAGE, page_type=True).metadata
        assert typed["metadata"]["page_type"] == guess.page_type is not None
        batch = client.post("/v1/score/batch", json={"pages": [
            {"html": META_PAGE, "url": "https://weekly.example/pier"}, {"text": "Pier rebuilt\n" + STORY_DE}]})
        assert batch.status_code == 200, batch.text
        first, second = batch.json()["results"]
        assert first["metadata"]["url"] == "https://weekly.example/pier"
        assert first["metadata"]["author"] == "Ann Weller"
        assert second["metadata"]["title"] == "Pier rebuilt"
        schema = client.get("/openapi.json").json()["components"]["schemas"]
        assert "metadata" in schema["ScoreResult"]["properties"]
        assert "page_type" in schema["ScoreRequest"]["properties"]


# ----- page type ------------------------------------------------------------------------------

def test_page_type_only_when_asked_and_only_in_html_mode(model):
    plain = model.filter_html(IN_PAGE_PAGE)
    asked = model.filter_html(IN_PAGE_PAGE, page_type=True)
    assert plain.metadata.page_type is None and plain.metadata.page_type_probability is None
    assert asked.metadata.page_type in model.models["html"].heads.page_type.types_
    assert 0.0 < asked.metadata.page_type_probability <= 1.0
    assert asked.story_text == plain.story_text
    assert model.filter(IN_PAGE_PAGE, page_type=True).metadata == asked.metadata
    text = model.filter_text("Pier rebuilt\n" + STORY_EN.replace("<p>", "").replace("</p>", "\n"), page_type=True)
    assert text.metadata.page_type is None and text.metadata.page_type_probability is None


def test_a_model_without_a_page_type_head_leaves_both_fields_empty():
    from classifier.api import default_model_path

    text_only = load_model(default_model_path() / "text")  # serves HTML too, has no heads
    meta = text_only.filter_html(IN_PAGE_PAGE, page_type=True).metadata
    assert meta.page_type is None and meta.page_type_probability is None
    assert meta.title == "Pier to be rebuilt"


def test_score_pages_threads_page_type_through(model):
    pages = [model.html_blocks(IN_PAGE_PAGE), model.html_blocks(JSON_LD_PAGE)]
    results = model.score_pages(pages, "html", page_type=True)
    assert [r.metadata.page_type is not None for r in results] == [True, True]
    assert results[1].metadata.title == "Council votes to rebuild the old pier"


# ----- text mode --------------------------------------------------------------------------------

def test_text_mode_gives_an_obvious_title_line_and_the_language(model):
    text = "Pier to be rebuilt\n\n" + STORY_DE.replace("<p>", "").replace("</p>", "\n")
    meta = model.filter_text(text).metadata
    assert meta == Metadata(title="Pier to be rebuilt", language="de")


@pytest.mark.parametrize("first_line", [
    "The council voted on Tuesday to rebuild the pier, which was damaged in the storms.",
    "- a list item", "1. first step", "https://example.org/page", "2025 03 04", ""])
def test_text_mode_takes_no_title_that_is_not_obvious(first_line):
    from classifier.text_segmenter import segment_text

    blocks = segment_text(first_line + "\nA second line of the text that goes on for a while longer.")
    assert title_line(blocks) is None
    assert title_line(segment_text("Only one line")) is None
    assert text_metadata(segment_text("Only one line")) == EMPTY


# ----- readers of single fields ----------------------------------------------------------------

@pytest.mark.parametrize("written, iso", [
    ("2025-09-04", "2025-09-04"), ("2025-09-04T10:00:00Z", "2025-09-04T10:00:00+00:00"),
    ("2025-09-04 10:00:00", "2025-09-04T10:00:00"), ("20250904", "2025-09-04"),
    ("Thu, 04 Sep 2025 10:00:00 GMT", "2025-09-04T10:00:00+00:00"), ("September 4, 2025", "2025-09-04"),
    ("Sept. 4th, 2025", "2025-09-04"), ("4 September 2025", "2025-09-04"), ("04.09.2025", "2025-09-04"),
    ("Posted on 4th of Sep 2025 by Ann", "2025-09-04"),
    ("0001-01-01", None), ("2999-12-31", None), ("2025-02-30", None), ("yesterday", None), ("", None),
    (None, None), (20250904, None), ("x" * 500, None)])
def test_dates_as_pages_write_them(written, iso):
    assert iso_date(written) == iso


@pytest.mark.parametrize("tag, code", [("en-US", "en"), ("pt_BR", "pt"), ("EN", "en"), ("iw", "he"),
                                       ("und", None), ("x-default", None), ("*", None), ("", None), (None, None)])
def test_declared_languages(tag, code):
    assert declared_language(tag) == code


def test_detection_says_nothing_about_too_little_text():
    assert detect_language("Ja") is None
    assert detect_language("") is None
    assert detect_language("Le conseil municipal a voté mardi soir la reconstruction de la vieille jetée.") == "fr"


# ----- hostile input -------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from([
    "<h1>", "</h1>", "<title>", "</title>", "<time datetime='", "'>", "</time>", '<meta property="og:title" content="',
    '<meta name="author" content="', '<meta name="date" content="', '">', "<div class='byline author'>", "</div>",
    '<script type="application/ld+json">', "</script>", '{"@type": "NewsArticle", "headline": ', '"author": [',
    '{"@graph": [', "]", "}", "[", "{", ",", '"', "By ", "2025-13-45", "Sept 31, 2025", "\x00", "\ud800",
    "&amp;amp;", "<html lang='", "<link rel=canonical href='", "javascript:alert(1)", "//", "é", "日本語",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=30)), max_size=60))
def test_hostile_markup_never_breaks_the_metadata(parts):
    meta = metadata_of_page("".join(parts), "https://example.org/a/b")
    for name in ("title", "author", "date", "site_name", "language", "description", "url", "image"):
        value = getattr(meta, name)
        assert value is None or (isinstance(value, str) and value.strip() == value and value)
    if meta.date is not None:
        datetime.fromisoformat(meta.date)
    for name in ("url", "image"):
        value = getattr(meta, name)
        assert value is None or value.startswith(("http://", "https://"))


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["@type", "@graph", "headline", "author", "name", "datePublished", "image",
                                         "url", "publisher", "inLanguage", "description"]), inner, max_size=5),
                    max_leaves=30))
def test_any_json_ld_shape_is_read_without_error(value):
    html = page('<script type="application/ld+json">' + json.dumps(value).replace("</", "<\\/") + "</script>",
                STORY_EN)
    meta = metadata_of_page(html)
    assert meta.title is None or isinstance(meta.title, str)
    assert meta.author is None or isinstance(meta.author, str)


def test_nested_and_repeated_candidates_are_read_a_bounded_number_of_times():
    nested = "<div class='author'>" * 2_000 + "By Ann Weller " + "x " * 50_000 + "</div>" * 2_000
    headings = "<h1><div>" * 1_000 + "Headline" + "</div></h1>" * 1_000
    times = "<time><span>" * 1_000 + "4 March 2025" + "</span></time>" * 1_000
    scripts = ('<script type="application/ld+json">' + "[" * 5_000 + "]" * 5_000 + "</script>") * 100
    for body in (nested, headings, times, scripts):
        meta = metadata_of_page(page("", body))
        assert meta.url is None and meta.site_name is None

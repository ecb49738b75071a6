"""Training data readers: gold folders, JSONL pages, labelled blocks, and the errors for broken rows."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from classifier.errors import TrainingDataError
from synthetic import labelled_rows, make_pages, write_gold_folder, write_pages_jsonl
from training.readers import (
    detect_source_kind,
    iter_jsonl,
    read_gold_folder,
    read_labelled_blocks,
    read_pages_jsonl,
    site_of,
)


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def few_pages():
    return make_pages(n_sites=2, pages_per_site=2, seed=3)


# ----- gold folder ----------------------------------------------------------------------------

def test_gold_folder_reads_pages_in_id_order(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages)
    pages = read_gold_folder(folder)
    assert [p.id for p in pages] == sorted(p.id for p in few_pages)
    by_id = {p.id: p for p in few_pages}
    for page in pages:
        src = by_id[page.id]
        assert page.main_text == src.main_text
        assert page.html == src.html.encode("utf-8")  # raw bytes, decoded later
        assert page.url == src.url
        assert page.page_type == "article"
        assert page.with_snippets == [src.paragraphs[0][:40]]
        assert page.without_snippets == [src.teasers[0]]
        assert page.domain == site_of(src.url) and not page.domain.startswith("www.")
        assert page.source.endswith(f"{page.id}.json")


def test_gold_folder_accepts_plain_html(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:1])
    gz = folder / "html" / f"{few_pages[0].id}.html.gz"
    (folder / "html" / f"{few_pages[0].id}.html").write_bytes(gzip.decompress(gz.read_bytes()))
    gz.unlink()
    assert read_gold_folder(folder)[0].html == few_pages[0].html.encode("utf-8")


def test_gold_folder_skips_record_without_main_content(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:2])
    record = folder / "ground-truth" / f"{few_pages[0].id}.json"
    record.write_text(json.dumps({"url": "https://x.test/", "ground_truth": {"main_content": None}}))
    assert [p.id for p in read_gold_folder(folder)] == [few_pages[1].id]


def test_gold_folder_truncated_gz_names_the_file(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:1])
    gz = folder / "html" / f"{few_pages[0].id}.html.gz"
    gz.write_bytes(gz.read_bytes()[:-30])
    with pytest.raises(TrainingDataError) as info:
        read_gold_folder(folder)
    assert str(gz) in str(info.value)


def test_gold_folder_corrupt_gz_names_the_file(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:1])
    gz = folder / "html" / f"{few_pages[0].id}.html.gz"
    data = bytearray(gz.read_bytes())
    data[20:40] = b"\xff" * 20  # damage the deflate stream, keep the gzip header
    gz.write_bytes(bytes(data))
    with pytest.raises(TrainingDataError) as info:
        read_gold_folder(folder)
    assert str(gz) in str(info.value)


@pytest.mark.parametrize("content", [
    "{not json",
    json.dumps({"url": "https://x.test/"}),  # no ground_truth
    json.dumps({"ground_truth": "just a string"}),
    json.dumps(["a", "list"]),
    json.dumps({"ground_truth": {"main_content": "x", "with": "not a list"}}),
])
def test_gold_folder_bad_record_names_the_record(tmp_path, few_pages, content):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:1])
    record = folder / "ground-truth" / f"{few_pages[0].id}.json"
    record.write_text(content, encoding="utf-8")
    with pytest.raises(TrainingDataError) as info:
        read_gold_folder(folder)
    assert str(record) in str(info.value)


def test_gold_folder_missing_html_names_the_record(tmp_path, few_pages):
    folder = write_gold_folder(tmp_path / "gold", few_pages[:1])
    (folder / "html" / f"{few_pages[0].id}.html.gz").unlink()
    with pytest.raises(TrainingDataError, match=few_pages[0].id):
        read_gold_folder(folder)


def test_gold_folder_needs_both_subfolders(tmp_path):
    (tmp_path / "html").mkdir()
    with pytest.raises(TrainingDataError, match="ground-truth"):
        read_gold_folder(tmp_path)


def test_empty_gold_folder(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "ground-truth").mkdir()
    with pytest.raises(TrainingDataError, match=str(tmp_path)):
        read_gold_folder(tmp_path)


# ----- JSONL pages ----------------------------------------------------------------------------

def test_pages_jsonl_round_trip(tmp_path, few_pages):
    path = write_pages_jsonl(tmp_path / "pages.jsonl", few_pages)
    pages = read_pages_jsonl(path)
    assert [(p.id, p.url, p.html, p.main_text) for p in pages] == \
        [(p.id, p.url, p.html, p.main_text) for p in few_pages]
    assert pages[0].text is None
    assert pages[1].source == f"{path}:2"


def test_pages_jsonl_gz_bom_blank_lines_and_text_pages(tmp_path):
    rows = [{"id": 1, "text": "Headline\nA story line.", "main_text": "A story line.", "url": "www.a.test/x"},
            {"id": "b", "html": "<p>Hi there</p>", "main_text": "Hi there", "with": ["Hi"], "page_type": "post"}]
    raw = ("\ufeff" + json.dumps(rows[0]) + "\n\n   \n" + json.dumps(rows[1]) + "\n").encode("utf-8")
    path = tmp_path / "pages.jsonl.gz"
    path.write_bytes(gzip.compress(raw))
    pages = read_pages_jsonl(path)
    assert [p.id for p in pages] == ["1", "b"]
    assert pages[0].text == "Headline\nA story line." and pages[0].html is None
    assert pages[0].domain == "a.test"
    assert pages[1].with_snippets == ["Hi"] and pages[1].page_type == "post"
    assert pages[1].source == f"{path}:4"  # line numbers count blank lines


GOOD = {"id": "p1", "html": "<p>Story</p>", "main_text": "Story"}


@pytest.mark.parametrize("bad_line, message", [
    ('{"id": "p2", "html": "<p>x</p>", "main_text": ', "not valid JSON"),
    ('["a list"]', "JSON object"),
    (json.dumps({"html": "<p>x</p>", "main_text": "x"}), '"id"'),
    (json.dumps({"id": "p2", "html": "<p>x</p>"}), "main_text"),
    (json.dumps({"id": "p2", "main_text": "x"}), '"html" or "text"'),
    (json.dumps({"id": "p2", "html": 5, "main_text": "x"}), '"html" or "text"'),
    (json.dumps({"id": "p2", "html": "<p>x</p>", "main_text": "x", "url": 7}), "url"),
    (json.dumps({"id": "p2", "html": "<p>x</p>", "main_text": "x", "with": "abc"}), "with"),
    (json.dumps({"id": {"a": 1}, "html": "<p>x</p>", "main_text": "x"}), '"id"'),
])
def test_pages_jsonl_broken_row_names_file_and_line(tmp_path, bad_line, message):
    path = write_lines(tmp_path / "pages.jsonl", [GOOD, "", bad_line, GOOD])
    with pytest.raises(TrainingDataError) as info:
        read_pages_jsonl(path)
    text = str(info.value)
    assert text.startswith(f"{path}:3: ")
    assert message in text
    assert info.value.path == str(path) and info.value.line == 3


def test_non_utf8_file_names_file_and_line(tmp_path):
    path = tmp_path / "pages.jsonl"
    second = json.dumps({"id": "p2", "html": "<p>caf\u00e9</p>", "main_text": "caf\u00e9"}, ensure_ascii=False)
    path.write_bytes((json.dumps(GOOD) + "\n").encode() + second.encode("latin-1") + b"\n")
    with pytest.raises(TrainingDataError) as info:
        read_pages_jsonl(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert "UTF-8" in str(info.value)


def test_truncated_gz_jsonl_names_the_file(tmp_path, few_pages):
    plain = write_pages_jsonl(tmp_path / "pages.jsonl", few_pages)
    path = tmp_path / "pages.jsonl.gz"
    data = gzip.compress(plain.read_bytes())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrainingDataError) as info:
        read_pages_jsonl(path)
    assert str(info.value).startswith(f"{path}:")
    assert info.value.line is not None and info.value.line >= 1


def test_not_gzip_at_all(tmp_path):
    path = write_lines(tmp_path / "pages.jsonl.gz", [GOOD])  # plain text with a .gz name
    with pytest.raises(TrainingDataError, match=str(path)):
        read_pages_jsonl(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(TrainingDataError, match="nope.jsonl"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(TrainingDataError, match=str(empty)):
        read_pages_jsonl(empty)
    with pytest.raises(TrainingDataError, match="empty"):
        detect_source_kind(empty)


# ----- labelled blocks --------------------------------------------------------------------------

def blocks_of(pages):
    return {p.id: list(zip(p.texts, p.labels)) for p in pages}


def test_plain_labelled_blocks_grouped_and_ordered(tmp_path):
    rows = [
        {"page_id": "a", "position": 2, "text": "Second para.", "label": "story"},
        {"page_id": "b", "position": 0, "text": "Menu", "label": "boilerplate", "url": "https://www.b.test/1"},
        {"page_id": "a", "position": 0, "text": "Headline", "label": "STORY"},
        {"page_id": "a", "position": 1, "text": "Share this", "label": 0, "html": "<p>Headline</p>"},
        {"page_id": "a", "position": 3, "text": "Footer", "label": False},
        {"page_id": "b", "position": 1, "text": "Body text.", "label": True},
    ]
    path = write_lines(tmp_path / "blocks.jsonl", rows)
    pages = read_labelled_blocks(path)
    assert blocks_of(pages) == {
        "a": [("Headline", 1), ("Share this", 0), ("Second para.", 1), ("Footer", 0)],
        "b": [("Menu", 0), ("Body text.", 1)],
    }
    by_id = {p.id: p for p in pages}
    assert by_id["a"].html == "<p>Headline</p>" and by_id["b"].html is None
    assert by_id["b"].domain == "b.test"
    assert detect_source_kind(path) == "blocks"


def test_doccano_list_labels_and_spans(tmp_path):
    rows = [
        {"page_id": "d", "position": 0, "text": "Title", "label": ["story"]},
        {"page_id": "d", "position": 1, "text": "Ad", "label": ["boilerplate"]},
        {"page_id": "d", "position": 2, "text": "Body.", "label": [[0, 5, "story"]]},
        {"page_id": "d", "position": 3, "text": "Links", "labels": ["clutter"]},
    ]
    pages = read_labelled_blocks(write_lines(tmp_path / "doccano.jsonl", rows))
    assert blocks_of(pages) == {"d": [("Title", 1), ("Ad", 0), ("Body.", 1), ("Links", 0)]}


def test_prodigy_accept_reject_ignore_and_meta(tmp_path):
    rows = [
        {"text": "Title", "label": "STORY", "answer": "accept", "meta": {"page_id": "p", "position": 0}},
        {"text": "Teaser", "label": "STORY", "answer": "reject", "meta": {"page_id": "p", "position": 1}},
        {"text": "Skipped", "label": "STORY", "answer": "ignore", "meta": {"page_id": "p", "position": 2}},
        {"text": "Body.", "label": "BOILERPLATE", "answer": "reject", "meta": {"page_id": "p", "position": 3}},
        {"text": "Nav", "accept": ["BOILERPLATE"], "answer": "accept", "meta": {"page_id": "p", "position": 4}},
    ]
    path = write_lines(tmp_path / "prodigy.jsonl", rows)
    assert detect_source_kind(path) == "blocks"
    assert blocks_of(read_labelled_blocks(path)) == {
        "p": [("Title", 1), ("Teaser", 0), ("Body.", 1), ("Nav", 0)]}


def test_label_studio_tasks(tmp_path):
    def task(text, choice, position, cancelled_first=False):
        annotations = [{"result": [{"from_name": "label", "type": "choices", "value": {"choices": [choice]}}]}]
        if cancelled_first:
            annotations.append({"was_cancelled": True, "result": []})
        return {"id": position, "data": {"text": text, "page_id": "ls", "position": position},
                "annotations": annotations}
    rows = [task("Body.", "story", 1), task("Title", "story", 0, cancelled_first=True), task("Promo", "boilerplate", 2)]
    path = write_lines(tmp_path / "label-studio.jsonl", rows)
    assert detect_source_kind(path) == "blocks"
    assert blocks_of(read_labelled_blocks(path)) == {"ls": [("Title", 1), ("Body.", 1), ("Promo", 0)]}


def test_position_defaults_to_line_order(tmp_path):
    rows = [{"page_id": "x", "text": t, "label": "story"} for t in ("one", "two", "three")]
    assert blocks_of(read_labelled_blocks(write_lines(tmp_path / "b.jsonl", rows)))["x"] == \
        [("one", 1), ("two", 1), ("three", 1)]


BLOCK = {"page_id": "a", "position": 0, "text": "Fine.", "label": "story"}


@pytest.mark.parametrize("bad, message", [
    ({"page_id": "a", "position": 1, "text": "x", "label": "maybe"}, "maybe"),
    ({"page_id": "a", "position": 1, "text": "x"}, "label"),
    ({"page_id": "a", "position": 1, "text": "x", "label": []}, "label"),
    ({"page_id": "a", "position": 1, "text": "x", "label": "garbage", "answer": "reject"}, "garbage"),
    ({"position": 1, "text": "x", "label": "story"}, "page_id"),
    ({"page_id": "a", "position": 1, "label": "story"}, "text"),
    ({"page_id": "a", "position": 1, "text": 3, "label": "story"}, "text"),
    ({"page_id": "a", "position": "first", "text": "x", "label": "story"}, "position"),
    ({"page_id": "a", "position": True, "text": "x", "label": "story"}, "position"),
])
def test_labelled_blocks_broken_row_names_file_and_line(tmp_path, bad, message):
    path = write_lines(tmp_path / "blocks.jsonl", [BLOCK, BLOCK, bad])
    with pytest.raises(TrainingDataError) as info:
        read_labelled_blocks(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert message in str(info.value)


def test_labelled_blocks_bad_json_names_line(tmp_path):
    path = write_lines(tmp_path / "blocks.jsonl", [BLOCK, '{"page_id": "a", "text": "x", "label": "story"'])
    with pytest.raises(TrainingDataError, match=rf"^{path}:2: not valid JSON"):
        read_labelled_blocks(path)


# ----- source detection and examples ------------------------------------------------------------

def test_detect_source_kind(tmp_path, few_pages):
    assert detect_source_kind(write_gold_folder(tmp_path / "gold", few_pages)) == "gold-folder"
    assert detect_source_kind(write_pages_jsonl(tmp_path / "p.jsonl", few_pages)) == "pages"
    odd = write_lines(tmp_path / "odd.jsonl", ["", {"foo": 1}])
    with pytest.raises(TrainingDataError, match=rf"^{odd}:2: cannot tell the format"):
        detect_source_kind(odd)
    with pytest.raises(TrainingDataError, match="no such file"):
        detect_source_kind(tmp_path / "missing.jsonl")


def test_labelled_blocks_become_text_examples(tmp_path, few_pages):
    from training.train import load_examples

    rows = [r for p in few_pages for r in labelled_rows(p)]
    path = write_lines(tmp_path / "blocks.jsonl", rows)
    examples = load_examples([path], "text", progress=False)
    assert len(examples.pages) == len(few_pages)
    for page, blocks, labels in zip(few_pages, examples.pages, examples.labels):
        expected = [(r["text"], int(r["label"] == "story")) for r in labelled_rows(page)]
        assert [(b.text, y) for b, y in zip(blocks, labels)] == expected
        assert all(b.path is None for b in blocks)


def test_load_examples_needs_both_labels(tmp_path):
    from training.train import load_examples

    rows = [{"page_id": "a", "position": i, "text": f"line {i}", "label": "story"} for i in range(3)]
    with pytest.raises(TrainingDataError, match="both"):
        load_examples([write_lines(tmp_path / "b.jsonl", rows)], "text", progress=False)


@pytest.mark.parametrize("url, site", [
    ("https://www.Example.test:8080/a?b=1", "example.test"),
    ("www.a.test/x", "a.test"),
    ("http://[::1/broken", ""),
    (None, ""),
    ("", ""),
])
def test_site_of(url, site):
    assert site_of(url) == site

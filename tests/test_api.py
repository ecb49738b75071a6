"""The public API with a tiny trained model: load_model, filter_html/filter_text/filter, the JSON result."""
from __future__ import annotations

import json

import pytest

from classifier import FilterResult, ModelError, load_model

RESULT_KEYS = {"model", "mode", "story_text", "metadata", "blocks"}
BLOCK_KEYS = {"index", "text", "label", "score", "kind", "path"}


def check_result(result: FilterResult, mode: str) -> dict:
    """The invariants every result keeps; returns its JSON form."""
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == RESULT_KEYS
    assert set(data["model"]) == {"name", "version"}
    assert data["mode"] == mode == result.mode
    assert [b["index"] for b in data["blocks"]] == list(range(len(data["blocks"])))
    for b in data["blocks"]:
        assert set(b) == BLOCK_KEYS
        assert 0.0 <= b["score"] <= 1.0
        assert b["label"] in ("story", "boilerplate")
        assert isinstance(b["kind"], str) and b["kind"]
        assert (b["path"] is None) if mode == "text" else isinstance(b["path"], str)
    for b in result.blocks:
        assert b.label == ("story" if b.score >= result.threshold else "boilerplate")
    assert [(b.text, b.label) for b in result.blocks] == [(b["text"], b["label"]) for b in data["blocks"]]
    assert data["story_text"] == "\n\n".join(b.text for b in result.blocks if b.label == "story")
    return data


def test_load_model_folder_has_both_modes(loaded_model, trained_model_dir):
    assert set(loaded_model.models) == {"html", "text"}
    assert loaded_model.model_for("html").name == "test-html"
    assert loaded_model.model_for("text").name == "test-text"
    for mode in ("html", "text"):  # each mode's threshold is the one its training picked
        manifest = json.loads((trained_model_dir / mode / "manifest.json").read_text(encoding="utf-8"))
        assert loaded_model.model_for(mode).threshold == manifest["threshold"]


def test_filter_html_keeps_story_drops_teasers(loaded_model, unseen_pages):
    for page in unseen_pages:
        result = loaded_model.filter_html(page.html, url=page.url)
        check_result(result, "html")
        for paragraph in page.paragraphs:
            assert paragraph in result.story_text
        for teaser in page.teasers:
            assert teaser not in result.story_text
        assert "Recommended for you" not in result.story_text
        assert "Copyright" not in result.story_text


def test_filter_html_bytes_and_str_agree(loaded_model, unseen_pages):
    page = unseen_pages[2]
    from_str = loaded_model.filter_html(page.html)
    from_bytes = loaded_model.filter_html(page.html.encode("utf-8"))
    assert from_str.to_dict() == from_bytes.to_dict()
    from_latin1 = loaded_model.filter_html(page.html.encode("latin-1"), encoding="latin-1")
    assert from_latin1.story_text == from_str.story_text


def test_html_blocks_have_kinds_and_paths(loaded_model, unseen_pages):
    page = unseen_pages[0]
    result = loaded_model.filter_html(page.html)
    by_text = {b.text: b for b in result.blocks}
    assert by_text[page.title].kind == "heading"
    assert by_text[page.paragraphs[0]].kind == "paragraph"
    assert by_text[page.teasers[0]].kind == "list_item"
    assert "rec-widget" in by_text[page.teasers[0]].path
    assert result.model_name == "test-html" and result.model_version == "0.0-test"


def test_filter_text(loaded_model, unseen_pages):
    page = unseen_pages[1]
    result = loaded_model.filter_text(page.text)
    data = check_result(result, "text")
    assert [b["text"] for b in data["blocks"]] == page.text.splitlines()
    assert all(b.path is None and b.kind == "line" for b in result.blocks)
    assert result.story_text.split("\n\n") == [page.title, *page.paragraphs]
    assert result.model_name == "test-text"


def test_filter_text_blank_lines_and_bytes(loaded_model, unseen_pages):
    page = unseen_pages[3]
    spaced = "\n\n".join(page.text.splitlines())
    a = loaded_model.filter_text(spaced)
    b = loaded_model.filter_text(spaced.encode("utf-8"))
    assert [x.text for x in a.blocks] == page.text.splitlines()
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize("as_bytes", [False, True])
def test_filter_auto_tells_html_from_text(loaded_model, unseen_pages, as_bytes):
    page = unseen_pages[4]
    html = page.html.encode() if as_bytes else page.html
    text = page.text.encode() if as_bytes else page.text
    r_html = loaded_model.filter(html, mode="auto")
    r_text = loaded_model.filter(text)  # auto is the default
    assert r_html.mode == "html" and r_text.mode == "text"
    assert r_html.to_dict() == loaded_model.filter_html(page.html).to_dict()
    assert r_text.to_dict() == loaded_model.filter_text(page.text).to_dict()
    assert loaded_model.filter(page.html, mode="text").mode == "text"  # an explicit mode wins


def test_threshold_zero_keeps_everything(loaded_model, unseen_pages):
    page = unseen_pages[5]
    result = loaded_model.filter_html(page.html, threshold=0.0)
    check_result(result, "html")
    assert all(b.label == "story" for b in result.blocks)
    assert result.story_text == "\n\n".join(b.text for b in result.blocks)
    assert all(t in result.story_text for t in page.teasers)


def test_threshold_one_keeps_almost_nothing(loaded_model, unseen_pages):
    page = unseen_pages[5]
    default = loaded_model.filter_html(page.html)
    strict = loaded_model.filter_html(page.html, threshold=1.0)
    check_result(strict, "html")
    kept = strict.story_blocks
    assert kept == [b for b in strict.blocks if b.score >= 1.0]
    assert len(kept) < len(default.story_blocks)
    assert len(kept) <= 1
    # the scores do not depend on the threshold, only the labels
    assert [b.score for b in strict.blocks] == [b.score for b in default.blocks]


@pytest.mark.parametrize("threshold", [-0.01, 1.01, float("nan")])
def test_threshold_outside_unit_interval_is_an_error(loaded_model, threshold):
    with pytest.raises(ValueError, match="threshold"):
        loaded_model.filter_html("<p>Some text here.</p>", threshold=threshold)
    with pytest.raises(ValueError, match="threshold"):
        loaded_model.filter_text("Some text here.", threshold=threshold)
    with pytest.raises(ValueError, match="threshold"):
        loaded_model.filter("Some text here.", threshold=threshold)


def test_unknown_mode_is_an_error(loaded_model):
    with pytest.raises(ValueError, match="mode"):
        loaded_model.filter("text", mode="pdf")


@pytest.mark.parametrize("page", ["", b"", "   \n\n  "])
def test_empty_pages(loaded_model, page):
    for result, mode in ((loaded_model.filter_html(page), "html"), (loaded_model.filter_text(page), "text")):
        assert result.story_text == "" and result.blocks == []
        assert check_result(result, mode)["blocks"] == []


def test_batch_scoring_matches_single_pages(loaded_model, unseen_pages):
    pages = [loaded_model.html_blocks(p.html) for p in unseen_pages[:3]]
    batch = loaded_model.score_pages([pages[0], [], pages[1], pages[2]], "html")
    singles = [loaded_model.filter_html(p.html) for p in unseen_pages[:3]]
    assert batch[1].blocks == []
    for got, want in zip([batch[0], batch[2], batch[3]], singles):
        assert [b.score for b in got.blocks] == pytest.approx([b.score for b in want.blocks], abs=1e-12)
        assert got.story_text == want.story_text


def test_one_model_directory_serves_both_modes(trained_model_dir, unseen_pages):
    model = load_model(trained_model_dir / "html")
    assert set(model.models) == {"html"}
    page = unseen_pages[6]
    result = model.filter_text(page.text)
    assert result.mode == "text" and result.model_name == "test-html"
    assert all(b.path is None for b in result.blocks)
    assert page.paragraphs[0] in model.filter_html(page.html).story_text


def test_load_model_errors(tmp_path):
    with pytest.raises(ModelError):
        load_model(tmp_path / "nothing-here")
    with pytest.raises(ModelError):
        load_model(tmp_path)


def test_extracted_text_uses_the_post_filter_threshold(trained_model_dir, unseen_pages):
    """Text another extractor already cleaned is cut at the manifest's post-filter threshold."""
    import dataclasses

    manifest = json.loads((trained_model_dir / "text" / "manifest.json").read_text())
    view = manifest["cross_validation"]["views"]["extract"]  # extractor-style renderings, scored out of fold
    assert manifest["postfilter_threshold"] == view["threshold"] and 0.0 <= view["threshold"] <= 1.0
    model = load_model(trained_model_dir)
    text = model.models["text"]
    model.models["text"] = dataclasses.replace(text, postfilter_threshold=0.123)
    assert model.filter_text(unseen_pages[1].text, extracted=True).threshold == 0.123
    assert model.filter_text(unseen_pages[1].text).threshold == text.threshold
    assert model.filter(unseen_pages[1].text, mode="text", extracted=True).threshold == 0.123
    assert model.filter_text(unseen_pages[1].text, threshold=0.7, extracted=True).threshold == 0.7


def test_a_result_comes_back_whole_from_its_json_form(loaded_model, unseen_pages):
    from classifier.result import FilterResult

    result = loaded_model.filter_html(unseen_pages[0].html)
    back = FilterResult.from_dict(result.to_dict(), threshold=result.threshold)
    assert back.story_text == result.story_text and back.to_dict() == result.to_dict()
    assert [b.label for b in back.blocks] == [b.label for b in result.blocks] and back.threshold == result.threshold

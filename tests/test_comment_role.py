"""The comment head, comment posts and the optional heads of a model directory."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier import load_model
from classifier.api import load_model_directory
from classifier.artifacts import MANIFEST, SEAL, manifest_seal, verify_model_dir
from classifier.comment_role import N_DENSE, N_FEATURES, CommentModel, comment_features
from classifier.comment_threads import group_comments
from classifier.errors import ModelError
from classifier.heads import Heads, load_heads, save_head
from classifier.html_segmenter import segment_html
from classifier.page_type import PageTypeModel

SHIPPED_HTML = Path(__file__).resolve().parents[1] / "artifacts" / "html"

WORDPRESS_STYLE = """<html><body><article><h1>The river festival</h1>
<p>The town held its river festival on Saturday, with boats from every village upstream.</p>
<p>Organisers said the crowd was the largest in a decade, helped by the warm weather.</p></article>
<section id="comments"><h2>4 responses</h2><ol class="commentlist">
<li class="comment"><div class="comment-author">Margaret Hill</div><div class="comment-meta">12/05/2024 at 09:14</div>
<p>We went with the children and loved every minute of the parade.</p><a class="reply">Reply</a></li>
<li class="comment"><div class="comment-author">Tom Baker</div><div class="comment-meta">12/05/2024 at 10:02</div>
<p>Parking was a nightmare though, it took us an hour to leave.</p></li>
</ol></section></body></html>"""

GERMAN_THREAD_STYLE = """<html><body><main><h1>Neue Brücke eröffnet</h1>
<p>Die neue Brücke über den Fluss wurde am Montag nach drei Jahren Bauzeit eröffnet.</p></main>
<div class="discussion"><div class="post"><div class="post-header"><span class="user">flussfan</span>
<time>03.06.2024 18:22</time></div><div class="post-body"><p>Endlich! Der Umweg über die alte Fähre hat immer ewig gedauert.</p>
<p>Ich hoffe nur, dass der Radweg bald fertig wird.</p></div></div>
<div class="post"><div class="post-header"><span class="user">Karl M.</span><time>03.06.2024 19:05</time></div>
<div class="post-body"><p>Viel zu teuer für das, was man bekommt.</p></div></div></div></body></html>"""


def _flags(blocks, first_comment_text: str) -> list[bool]:
    start = next(i for i, b in enumerate(blocks) if b.text.startswith(first_comment_text))
    return [i >= start for i in range(len(blocks))]


def test_posts_author_and_date_from_a_comment_list():
    blocks = segment_html(WORDPRESS_STYLE)
    comments = group_comments(blocks, _flags(blocks, "Margaret Hill"))
    assert [(c.author, c.date) for c in comments] == [("Margaret Hill", "12/05/2024 at 09:14"),
                                                      ("Tom Baker", "12/05/2024 at 10:02")]
    assert comments[0].text.startswith("We went with the children")
    assert "Parking was a nightmare" in comments[1].text
    assert "Parking" not in comments[0].text


def test_posts_of_a_german_thread_keep_their_paragraphs_together():
    blocks = segment_html(GERMAN_THREAD_STYLE)
    comments = group_comments(blocks, _flags(blocks, "flussfan"))
    assert len(comments) == 2
    first, second = comments
    assert first.author == "flussfan" and first.date == "03.06.2024 18:22"
    assert first.text.count("\n\n") == 1 and "Radweg" in first.text
    assert second.author == "Karl M." and second.text == "Viel zu teuer für das, was man bekommt."


def test_text_lines_without_a_dom_make_one_comment_per_run():
    from classifier.text_segmenter import segment_text

    blocks = segment_text("Story line one.\nanna_k\nI agree with every word.\nStory again.\nbob\nNo way.")
    flags = [False, True, True, False, True, True]
    comments = group_comments(blocks, flags)
    assert [(c.author, c.text) for c in comments] == [("anna_k", "I agree with every word."), ("bob", "No way.")]


def _tiny_corpus():
    """Pages whose comments share words and structure, and other clutter that does not."""
    pages, stories, masks = [], [], []
    for k in range(12):
        html = WORDPRESS_STYLE if k % 2 else GERMAN_THREAD_STYLE
        html = html.replace("</body>", f"<nav><a>Home {k}</a><a>Sport</a><a>Weather</a></nav></body>")
        blocks = segment_html(html)
        story = [b.kind in ("heading", "paragraph") and b.ancestors[:2] == blocks[0].ancestors[:2]
                 and "comment" not in " ".join(b.dom_tokens) and "post" not in " ".join(b.dom_tokens)
                 for b in blocks]
        first = "Margaret Hill" if k % 2 else "flussfan"
        start = next(i for i, b in enumerate(blocks) if b.text.startswith(first))
        end = next(i for i, b in enumerate(blocks) if b.text.startswith("Home"))
        mask = [start <= i < end and not story[i] for i in range(len(blocks))]
        pages.append(blocks), stories.append(story), masks.append(mask)
    return pages, stories, masks


def test_comment_head_learns_and_round_trips():
    pages, stories, masks = _tiny_corpus()
    model = CommentModel(C=10.0).fit(pages, stories, masks)
    proba = model.proba(pages[0], stories[0])
    mask = np.asarray(masks[0])
    assert proba[mask].min() > proba[~mask & ~np.asarray(stories[0])].max()
    assert np.all(proba[np.asarray(stories[0])] == 0.0)
    again = CommentModel.from_state(*model.to_state())
    assert np.array_equal(again.proba(pages[1], stories[1]), model.proba(pages[1], stories[1]))


def test_comment_features_cover_only_blocks_outside_the_story():
    blocks = segment_html(WORDPRESS_STYLE)
    story = [i < 3 for i in range(len(blocks))]
    row, col, val, dense = comment_features(blocks, story)
    assert dense.shape == (len(blocks) - 3, N_DENSE)
    assert row.max() == len(blocks) - 4 and col.max() < N_FEATURES - N_DENSE
    assert np.all(val > 0)


@pytest.mark.parametrize("edit, message", [
    (lambda a, c: a.update(coef=a["coef"][:-1]), "shape"),
    (lambda a, c: a["mean"].__setitem__(0, np.nan), "NaN"),
    (lambda a, c: c["params"].update(threshold=float("inf")), "threshold"),
    (lambda a, c: c.update(dense_names=["other"]), "features"),
    (lambda a, c: c.update(format="x"), "format"),
])
def test_a_broken_comment_head_is_refused(edit, message):
    pages, stories, masks = _tiny_corpus()
    arrays, config = CommentModel().fit(pages, stories, masks).to_state()
    edit(arrays, config)
    with pytest.raises(ValueError, match=message):
        CommentModel.from_state(arrays, config)


@pytest.fixture()
def model_copy(tmp_path: Path) -> Path:
    """The shipped HTML model without its heads (files and manifest entries gone, resealed)."""
    target = tmp_path / "html"
    shutil.copytree(SHIPPED_HTML, target)
    manifest = json.loads((target / MANIFEST).read_text())
    for name in ("page_type.npz", "page_type.json", "comments.npz", "comments.json"):
        (target / name).unlink(missing_ok=True)
        manifest["files"].pop(name, None)
    manifest.pop(SEAL)
    manifest[SEAL] = manifest_seal(manifest)
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert load_model_directory(target).heads == Heads()
    return target


def test_heads_added_to_a_model_directory_load_and_are_verified(model_copy: Path):
    pages, stories, masks = _tiny_corpus()
    save_head(model_copy, "comments", *CommentModel().fit(pages, stories, masks).to_state())
    types = ["article" if i % 3 else "forum" for i in range(len(pages))]
    save_head(model_copy, "page_type", *PageTypeModel().fit(pages, types).to_state())
    loaded = load_model_directory(model_copy)
    assert loaded.heads.comments is not None and loaded.heads.page_type is not None
    manifest = verify_model_dir(model_copy)
    assert {"comments.npz", "comments.json", "page_type.npz", "page_type.json"} <= set(manifest["files"])
    with (model_copy / "comments.npz").open("r+b") as handle:  # one byte changed: refused, naming the file
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ModelError, match="comments.npz"):
        load_model_directory(model_copy)


def test_a_manifest_listing_half_a_head_is_refused(model_copy: Path):
    pages, stories, masks = _tiny_corpus()
    save_head(model_copy, "comments", *CommentModel().fit(pages, stories, masks).to_state())
    manifest = verify_model_dir(model_copy)
    del manifest["files"]["comments.json"]
    with pytest.raises(ModelError, match="without its pair"):
        load_heads(model_copy, manifest)


def test_comments_asked_of_a_model_without_a_head_are_none_found(model_copy: Path):
    model = load_model(model_copy)
    result = model.filter(WORDPRESS_STYLE, comments=True)
    assert result.comments == [] and result.to_dict()["comments"] == []
    assert all(b.label != "comment" for b in result.blocks)
    assert "comments" not in model.filter(WORDPRESS_STYLE).to_dict()

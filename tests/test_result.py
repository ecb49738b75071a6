"""FilterResult and ScoredBlock: the JSON contract (DESIGN.md) both ways, field by field."""
from __future__ import annotations

import json
import math

from classifier.comment_threads import Comment
from classifier.metadata import Metadata
from classifier.result import FilterResult, ScoredBlock

BLOCKS = [ScoredBlock(0, "Home | News", "boilerplate", 0.0123456789, "list_item", "body>ul>li"),
          ScoredBlock(1, "The council voted.", "story", 0.98765432101, "paragraph", "body>article>p"),
          ScoredBlock(2, "Nice piece!", "comment", 0.4, "paragraph", "body>section>p"),
          ScoredBlock(3, "It rained all day.", "story", 0.5, "paragraph", None)]
COMMENTS = [Comment("Nice piece!", author="ann", date="2 May", blocks=[2]), Comment("Agreed.", author="bob"),
            Comment("First!", date="3 May"), Comment("No name, no date.")]
RESULT = FilterResult("The council voted.\n\nIt rained all day.", BLOCKS, mode="html", model_name="m",
                      model_version="1.2", threshold=0.45, comments=COMMENTS)


def test_to_dict_is_the_contract():
    assert BLOCKS[1].to_dict() == {"index": 1, "text": "The council voted.", "label": "story", "score": 0.987654,
                                   "kind": "paragraph", "path": "body>article>p"}
    data = RESULT.to_dict()
    assert list(data) == ["model", "mode", "story_text", "metadata", "blocks", "comments"]
    assert data["metadata"] == dict.fromkeys(("title", "author", "date", "site_name", "language", "description",
                                              "url", "image", "page_type", "page_type_probability"))
    assert data["model"] == {"name": "m", "version": "1.2"} and data["mode"] == "html"
    assert data["story_text"] == "The council voted.\n\nIt rained all day."
    assert [b["score"] for b in data["blocks"]] == [0.012346, 0.987654, 0.4, 0.5]
    assert data["blocks"][3]["path"] is None
    assert data["comments"] == [c.to_dict() for c in COMMENTS]
    assert list(RESULT.to_dict(include_blocks=False)) == ["model", "mode", "story_text", "metadata", "comments"]
    plain = FilterResult("x", BLOCKS[:1])  # comments not asked for: no key at all
    assert plain.to_dict() == {"model": {"name": "", "version": ""}, "mode": "html", "story_text": "x",
                               "metadata": Metadata().to_dict(), "blocks": [BLOCKS[0].to_dict()]}


def test_from_dict_reads_back_what_to_dict_wrote():
    back = FilterResult.from_dict(json.loads(json.dumps(RESULT.to_dict())), threshold=0.45)
    assert back.story_text == RESULT.story_text and back.mode == "html"
    assert (back.model_name, back.model_version, back.threshold) == ("m", "1.2", 0.45)
    assert back.blocks == [b._replace(score=round(b.score, 6)) for b in BLOCKS]
    assert all(type(b.index) is int and type(b.score) is float for b in back.blocks)
    assert back.comments == COMMENTS
    assert back.story_blocks == [back.blocks[1], back.blocks[3]]


def test_from_dict_fills_what_a_row_leaves_out():
    bare = FilterResult.from_dict({"mode": "text", "blocks": [{"index": "0", "text": "a", "label": "story",
                                                               "score": "0.5", "kind": "line"}]})
    assert bare.story_text == "" and bare.mode == "text" and bare.comments is None
    assert (bare.model_name, bare.model_version) == ("", "") and math.isnan(bare.threshold)
    assert bare.blocks == [ScoredBlock(0, "a", "story", 0.5, "line", None)]
    empty = FilterResult.from_dict({"model": None, "story_text": None, "blocks": None}, threshold="0.3")
    assert empty.blocks == [] and empty.story_text == "" and empty.mode == "html" and empty.threshold == 0.3
    assert FilterResult.from_dict({"model": {"name": 7, "version": 2.0}}).model_version == "2.0"


def test_story_blocks_and_comments_text():
    assert RESULT.story_blocks == [BLOCKS[1], BLOCKS[3]]
    assert RESULT.comments_text() == "ann · 2 May\nNice piece!\n\nbob\nAgreed.\n\n3 May\nFirst!\n\nNo name, no date."
    assert FilterResult("x").comments_text() == "" and FilterResult("x").story_blocks == []
    assert FilterResult("x").blocks == [] and FilterResult("y").blocks is not FilterResult("z").blocks
    default = FilterResult("x")
    assert (default.mode, default.model_name, default.model_version, default.threshold, default.comments) == \
        ("html", "", "", 0.5, None)

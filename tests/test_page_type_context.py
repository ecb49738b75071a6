"""The page type as context for blocks: the block model's own page-type model, out-of-fold
page types in training, the type columns of the context stage, and saving and loading them."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from classifier import load_model
from classifier.context import (BASE_CONTEXT_NAMES, CONTEXT_NAMES, LOCAL_REGION_NAMES, PAGE_TYPE_INPUTS,
                                SEQUENCE_NAMES, context_features)
from classifier.model import BlockClassifier, classifier_to_state
from classifier.page_type import PAGE_TYPES, PageTypeModel
from classifier.scorer import BlockScorer
from training.dataset import build_examples
from training.readers import read_pages_jsonl
from training.train import save_trained


@pytest.fixture(scope="module")
def examples(pages_jsonl):
    return build_examples(read_pages_jsonl(pages_jsonl), "html", progress=False)


def _types(groups: list[str]) -> list[str]:
    """A page type per page, by site: half the sites articles, the other half listings."""
    sites = sorted(set(groups))
    return ["article" if sites.index(g) % 2 == 0 else "listing" for g in groups]


@pytest.fixture(scope="module")
def typed_model(examples):
    return BlockClassifier(page_type_context=True, random_state=0).fit(
        examples.pages, examples.labels, groups=examples.groups, page_types=_types(examples.groups))


def test_context_features_carry_the_type_and_its_products():
    from classifier.html_segmenter import segment_html
    blocks = segment_html("<html><body><main><h1>Title here</h1><p>" + "A sentence of the story. " * 12
                          + "</p><p>" + "Another sentence follows it. " * 10 + "</p></main>"
                          "<ul><li><a href='/x'>Other story</a></li><li><a href='/y'>More news</a></li></ul>"
                          "</body></html>")
    z = np.linspace(-2.0, 3.0, len(blocks))
    kind = np.array([0.6, 0.1, 0.05, 0.05, 0.1, 0.05, 0.05])
    plain = context_features(blocks, z)
    typed = context_features(blocks, z, page_type=kind)
    col = {name: i for i, name in enumerate(CONTEXT_NAMES)}
    base = len(BASE_CONTEXT_NAMES)
    assert np.array_equal(plain[:, :base], typed[:, :base])  # the type changes nothing else
    assert not plain[:, base:].any()
    for t, p in zip(PAGE_TYPES, kind):
        assert np.allclose(typed[:, col[f"type_{t}"]], p)
        for name in PAGE_TYPE_INPUTS:
            assert np.allclose(typed[:, col[f"type_{t}_x_{name}"]], p * typed[:, col[name]])


def test_a_model_with_page_types_reads_them_and_one_without_does_not(examples, typed_model):
    assert isinstance(typed_model.page_type_model_, PageTypeModel)
    assert set(typed_model.page_type_model_.types_) == {"article", "listing"}
    _, config = classifier_to_state(typed_model)
    # every context column but the local-region and sequence ones, which only local_region=True
    # and sequence_context=True read
    assert config["context_names"] == [n for n in CONTEXT_NAMES
                                       if n not in LOCAL_REGION_NAMES and n not in SEQUENCE_NAMES]
    assert config["page_type"]["types"] == ["article", "listing"]
    # the type columns earn weights (the toy types are the sites' halves, so they say something)
    type_columns = [i for i, name in enumerate(config["context_names"]) if name.startswith("type_")]
    assert np.abs(typed_model.stage2_coef_[type_columns]).max() > 0.0

    for page_types in (None, ["article"] * len(examples.pages), [None] * len(examples.pages)):
        plain = BlockClassifier(page_type_context=True, random_state=0).fit(
            examples.pages, examples.labels, groups=examples.groups, page_types=page_types)
        assert getattr(plain, "page_type_model_", None) is None  # fewer than two known types
        _, config = classifier_to_state(plain)
        assert config["context_names"] == [n for n in BASE_CONTEXT_NAMES if n not in LOCAL_REGION_NAMES]
        assert "page_type" not in config
    off = BlockClassifier(random_state=0).fit(examples.pages, examples.labels, groups=examples.groups,
                                              page_types=_types(examples.groups))
    assert getattr(off, "page_type_model_", None) is None  # page_type_context defaults to off


def test_training_pages_get_out_of_fold_page_types(examples):
    model = BlockClassifier(page_type_context=True, random_state=0)
    types = _types(examples.groups)
    oof = np.vstack(model._fit_page_types(examples.pages, types, examples.groups))
    assert oof.shape == (len(examples.pages), len(PAGE_TYPES))
    assert np.allclose(oof.sum(axis=1), 1.0)
    full = np.zeros_like(oof)
    full[:, [PAGE_TYPES.index(t) for t in model.page_type_model_.types_]] = \
        model.page_type_model_.predict_proba(examples.pages)
    assert not np.allclose(oof, full)  # not the model that saw every page


def test_saved_model_scores_the_same_after_loading(examples, typed_model, tmp_path):
    save_trained(typed_model, tmp_path / "m", mode="html", threshold=0.5, seed=0, training_data={},
                 cross_validation=None, started=time.time(), command="test")
    loaded = load_model(tmp_path / "m").model_for("html").classifier
    assert type(loaded) is BlockScorer and isinstance(loaded.page_type_model_, PageTypeModel)
    pages = examples.pages[:6]
    for a, b in zip(typed_model.page_scores(pages), loaded.page_scores(pages)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("damage", ["no_config", "no_arrays", "bad_shape"])
def test_a_model_whose_page_type_part_is_missing_or_broken_is_refused(typed_model, damage):
    arrays, config = classifier_to_state(typed_model)
    config = json.loads(json.dumps(config))
    if damage == "no_config":
        del config["page_type"]
    elif damage == "no_arrays":
        arrays = {k: v for k, v in arrays.items() if not k.startswith("page_type_")}
    else:
        arrays["page_type_coef"] = arrays["page_type_coef"][:, :-1]
    with pytest.raises(ValueError, match="page-type|page type"):
        BlockScorer.from_state(arrays, config)


def test_page_type_trees_give_the_block_model_a_tree_page_type_model(examples, tmp_path):
    model = BlockClassifier(page_type_context=True, page_type_trees=5, random_state=0).fit(
        examples.pages, examples.labels, groups=examples.groups, page_types=_types(examples.groups))
    assert model.page_type_model_.trees_ is not None and model.page_type_model_.coef_ is None
    save_trained(model, tmp_path / "m", mode="html", threshold=0.5, seed=0, training_data={},
                 cross_validation=None, started=time.time(), command="test")
    loaded = load_model(tmp_path / "m").model_for("html").classifier
    assert loaded.page_type_model_.trees_ is not None
    for a, b in zip(model.page_scores(examples.pages[:6]), loaded.page_scores(examples.pages[:6])):
        assert np.array_equal(a, b)

"""Scoring without scikit-learn: the numpy scorer a saved model loads as gives the estimator's scores,
and the extract / serve / hook paths never import scikit-learn or scipy."""
from __future__ import annotations

import gzip
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier import load_model
from classifier.artifacts import load_model_dir, verify_model_dir
from classifier.model import BlockClassifier, classifier_from_state
from classifier.scorer import BlockScorer, sigmoid
from classifier.scoring_index import INDEX, add_index, load_scorer

from extras import require
from service_process import repo_env

WCXB = Path(__file__).resolve().parents[2] / "shared" / "data" / "wcxb-dev"

PAGES = [
    b"""<html><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
    <article><h1>The harbour wall is rebuilt after the winter storms</h1>
    <p>Work on the old harbour wall finished on Friday, three months after the storms of January
    washed away a long stretch of it and flooded the fish market.</p>
    <p>The harbour board said the new wall stands half a metre higher than the old one.</p></article>
    <aside class="related"><h2>Recommended for you</h2><ul>
    <li><a href="/a">Ten ferries you have to see</a></li><li><a href="/b">Why the tide is late</a></li>
    </ul></aside><footer>Copyright 2026 The Coast Times</footer></body></html>""",
    b"""<html><body><div class="share">Share on Facebook Share on X</div>
    <div class="story"><h1>A quiet vote on the library roof</h1><p>The council voted on Tuesday to repair the
    library roof before the autumn rains, at a cost of 120,000 pounds.</p><p>Readers will find the reading room
    closed for six weeks.</p></div><div class="newsletter">Sign up for our newsletter</div></body></html>""",
]


def stage1_reference(model: BlockClassifier, pages) -> np.ndarray:
    """Stage-1 logits through scikit-learn's side: the sparse feature matrix times the weights."""
    tokens = model._tokens(pages)
    return model._stage1_matrix(pages, tokens) @ model.stage1_coef_ + model.stage1_intercept_


def test_the_scorer_a_saved_model_loads_as_gives_the_estimators_scores(trained_model_dir, loaded_model):
    for mode in ("html", "text"):
        scorer = loaded_model.model_for(mode).classifier
        assert type(scorer) is BlockScorer
        arrays, config, _ = load_model_dir(trained_model_dir / mode)
        estimator = classifier_from_state(arrays, config)
        pages = [loaded_model.blocks(page, mode) for page in PAGES]
        z = np.concatenate(scorer._stage1_logits(pages, scorer._tokens(pages)))
        np.testing.assert_allclose(z, stage1_reference(estimator, pages), rtol=0, atol=1e-9)
        np.testing.assert_allclose(scorer.predict_proba(pages), estimator.predict_proba(pages), rtol=0, atol=1e-9)
        assert scorer.predict_proba(pages)[:, 1].min() < 0.5 < scorer.predict_proba(pages)[:, 1].max()


def test_a_freshly_fitted_estimator_and_its_saved_scorer_agree(model_copy, loaded_model):
    pages = [loaded_model.blocks(page, "html") for page in PAGES]
    arrays, config, _ = load_model_dir(model_copy / "html")
    fitted = classifier_from_state(arrays, config)
    stage2 = sigmoid(((np.vstack([fitted._context_columns(c) for c in _contexts(fitted, pages)])
                       - fitted.context_scaler_.mean_) / fitted.context_scaler_.scale_)
                     @ fitted.stage2_coef_ + fitted.stage2_intercept_)
    scorer, _ = load_scorer(model_copy / "html")
    np.testing.assert_allclose(np.concatenate(scorer.page_scores(pages)), stage2, rtol=0, atol=1e-9)


def _contexts(model: BlockClassifier, pages):
    """Context features from the sparse-matrix stage-1 logits (topic similarity from the scorer's own sum)."""
    from classifier.context import context_features

    tokens = model._tokens(pages)
    facts = model._facts(pages)
    z = stage1_reference(model, pages)
    _, similarity = model._stage1_logits(pages, tokens, facts, with_similarity=True)
    start = 0
    for page, fact, sim in zip(pages, facts, similarity):
        yield context_features(page, z[start:start + len(page)], fact.containers, fact.groups, fact.governing, sim)
        start += len(page)


def test_training_writes_the_index_and_a_model_without_one_scores_the_same(model_copy, loaded_model):
    directory = model_copy / "html"
    manifest = verify_model_dir(directory)
    assert INDEX in manifest["files"]
    pages = [loaded_model.blocks(page, "html") for page in PAGES]
    with_index, _ = load_scorer(directory)
    assert "vocabulary_" not in with_index.text_vectorizer_.__dict__  # the grams were not read
    del manifest["files"][INDEX]
    (directory / INDEX).unlink()
    from classifier.artifacts import SEAL, manifest_seal
    manifest[SEAL] = manifest_seal(manifest)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    without, _ = load_scorer(directory)
    assert "vocabulary_" in without.text_vectorizer_.__dict__
    np.testing.assert_array_equal(np.concatenate(with_index.page_scores(pages)),
                                  np.concatenate(without.page_scores(pages)))
    # the grams are still there for explanations, read when asked for
    assert with_index.text_vectorizer_.vocabulary_ == without.text_vectorizer_.vocabulary_
    add_index(directory)
    assert INDEX in verify_model_dir(directory)["files"]


def test_an_index_built_from_another_model_is_ignored(model_copy, loaded_model):
    html, text = model_copy / "html", model_copy / "text"
    shutil.copy(text / INDEX, html / INDEX)  # the text model's vocabulary beside the html weights
    from classifier.artifacts import SEAL, manifest_seal, sha256_file
    manifest = json.loads((html / "manifest.json").read_text())
    manifest["files"][INDEX] = {"sha256": sha256_file(html / INDEX), "bytes": (html / INDEX).stat().st_size}
    manifest[SEAL] = manifest_seal(manifest)
    (html / "manifest.json").write_text(json.dumps(manifest))
    pages = [loaded_model.blocks(page, "html") for page in PAGES]
    with pytest.warns(RuntimeWarning, match="built from another model"):
        scorer, _ = load_scorer(html)
    np.testing.assert_array_equal(np.concatenate(scorer.page_scores(pages)),
                                  np.concatenate(loaded_model.model_for("html").classifier.page_scores(pages)))


def test_a_pickled_scorer_built_from_hashes_scores_the_same(loaded_model):
    scorer = load_model().model_for("html").classifier
    pages = [loaded_model.blocks(page, "html") for page in PAGES]
    again = pickle.loads(pickle.dumps(scorer))
    np.testing.assert_array_equal(np.concatenate(again.page_scores(pages)), np.concatenate(scorer.page_scores(pages)))


@pytest.mark.skipif(not WCXB.is_dir(), reason=f"{WCXB} is absent (the shared wcxb-dev pages)")
def test_shipped_html_model_numpy_scorer_equals_the_estimator_on_wcxb_pages():
    model = load_model()
    loaded = model.model_for("html")
    arrays, config, _ = load_model_dir(loaded.path)
    estimator = classifier_from_state(arrays, config)
    files = sorted((WCXB / "html").glob("*.html.gz"))[:240]
    assert len(files) >= 200
    for start in range(0, len(files), 40):
        pages = [model.html_blocks(gzip.decompress(f.read_bytes())) for f in files[start:start + 40]]
        pages = [p for p in pages if p]
        z = np.concatenate(loaded.classifier._stage1_logits(pages, loaded.classifier._tokens(pages)))
        np.testing.assert_allclose(z, stage1_reference(estimator, pages), rtol=0, atol=1e-9)
        np.testing.assert_allclose(loaded.classifier.predict_proba(pages), estimator.predict_proba(pages),
                                   rtol=0, atol=1e-9)


# ----- nothing of scikit-learn or scipy on the scoring paths -----------------------------------------

NO_SKLEARN = ("\nheavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'torch'))"
              "\nassert not heavy, heavy\nprint('clean')")


def run_clean(script: str) -> None:
    done = subprocess.run([sys.executable, "-c", "import sys\n" + script + NO_SKLEARN], capture_output=True,
                          text=True, env=repo_env(), timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("clean"), done.stderr[-3000:]


def test_storyfilter_extract_imports_neither_sklearn_nor_scipy(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(PAGES[0])
    run_clean("from serving.cli import main\n"
              f"main(['extract', {str(page)!r}, '--format', 'json'], standalone_mode=False)\n"
              f"main(['extract', {str(page)!r}, '--mode', 'text'], standalone_mode=False)")


def test_a_model_with_a_sequence_stage_scores_with_numpy_only(pages_jsonl, tmp_path):
    """A text model trained with ``stage2_gru`` saves as arrays; loaded in a fresh process it
    scores as the estimator does without importing PyTorch, scikit-learn or scipy."""
    require("torch", "sequence")
    from training.train import train_model

    target = tmp_path / "text"
    train_model([pages_jsonl], target, mode="text", params={"stage2_gru": 4, "stage2_gru_epochs": 1}, cv_folds=2,
                seed=0, progress=False, holdout=0.0, name="gru-text", version="0.0-test")
    page = "\n".join(["The harbour wall is rebuilt after the winter storms",
                      "Work on the old harbour wall finished on Friday, three months after the storms of January.",
                      "The harbour board said the new wall stands half a metre higher than the old one.",
                      "Recommended for you", "Ten ferries you have to see", "Why the tide is late"])
    arrays, config, _ = load_model_dir(target)
    estimator = classifier_from_state(arrays, config)
    assert estimator.stage2_gru == 4 and estimator.stage2_gru_ is not None
    loaded = load_model(target)
    blocks = loaded.blocks(page, "text")
    expected = estimator.page_scores([blocks])[0]
    np.testing.assert_allclose(loaded.model_for("text").classifier.page_scores([blocks])[0], expected, atol=1e-12)
    run_clean(f"from classifier import load_model\nmodel = load_model({str(target)!r})\n"
              f"scores = [b.score for b in model.filter_text({page!r}).blocks]\n"
              f"assert max(abs(a - b) for a, b in zip(scores, {expected.tolist()!r})) < 1e-9, scores")


def test_the_hook_imports_neither_sklearn_nor_scipy():
    run_clean("from classifier.hooks import make_hook\nhook = make_hook()\n"
              f"result = hook({PAGES[0]!r}, url='https://example.org/a')\n"
              "assert 'harbour wall' in str(result)")


def test_the_service_app_imports_neither_sklearn_nor_scipy():
    require("fastapi", "serve")
    run_clean("import time\nfrom serving.app import create_app\nfrom fastapi.testclient import TestClient\n"
              "with TestClient(create_app()) as client:\n"
              "    for _ in range(600):\n"
              "        if client.get('/readyz').status_code == 200:\n"
              "            break\n"
              "        time.sleep(0.1)\n"
              f"    answer = client.post('/v1/score', json={{'html': {PAGES[1].decode()!r}}})\n"
              "assert answer.status_code == 200, answer.text\nassert 'library roof' in answer.json()['story_text']")


@pytest.mark.parametrize("crowd_at", [7 << 60, 2**64 - 100])  # the last slots: the run wraps to the start
def test_gram_table_built_in_order_or_in_rounds_finds_every_key(crowd_at):
    from classifier.gramtable import GramTable

    rng = np.random.default_rng(crowd_at % 1000)
    keys = np.unique(rng.integers(1, 2**63, size=3000, dtype=np.int64).astype(np.uint64) * np.uint64(2))
    crowded = np.uint64(crowd_at) + np.arange(1, 60, dtype=np.uint64)
    keys = np.unique(np.concatenate((keys, crowded)))
    rng.shuffle(keys)  # columns in any order
    columns = rng.permutation(len(keys))
    table = GramTable(keys, columns)
    assert table.lookup(keys).tolist() == columns.tolist()
    absent = np.setdiff1d(np.concatenate((keys[:100] + np.uint64(1), crowded + np.uint64(100))), keys)
    assert len(absent) > 50 and (table.lookup(absent) == -1).all()


def test_the_grams_read_later_come_from_the_model_json_verified_at_load(model_copy):
    from classifier import ModelError

    scorer, _ = load_scorer(model_copy / "html")
    config = json.loads((model_copy / "html" / "model.json").read_text())
    config["text_vocabulary"][0] = "swapped"
    (model_copy / "html" / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="changed since the model was loaded"):
        scorer.text_vectorizer_.vocabulary_

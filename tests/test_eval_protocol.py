"""The evaluation protocol: sites by registered domain, nested thresholds, the hold-out, training-only pages, jobs.

Most tests use a stub model whose scores are set by the test, so what the
protocol picks (and which pages it touches) is known exactly and fast to check.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from classifier.blocks import Block
from conftest import REPO
from training import domains
from training.dataset import Examples
from training.evaluate import cross_validation_report, evaluate_protocol
from training.folds import Fold, grouped_folds, nested_threshold, run_fold
from training.holdout import holdout_sites
from training.readers import GoldPage, LabelledPage

# ----- sites are registered domains ---------------------------------------------------------------


@pytest.mark.parametrize("url, site", [
    ("https://www.x.co.uk/a", "x.co.uk"),
    ("https://news.x.co.uk/b?c=1", "x.co.uk"),
    ("http://edition.X.co.uk:8080/", "x.co.uk"),
    ("x.co.uk/path", "x.co.uk"),
    ("https://a.b.example.com/", "example.com"),
    ("https://one.substack.com/p/x", "substack.com"),  # ICANN suffixes only: one platform, one site
    ("http://127.0.0.1:8000/page", "127.0.0.1"),
    ("http://[2001:db8::1]/page", "2001:db8::1"),
    ("http://localhost/page", "localhost"),
    ("https://www.riverside-gazette.test/story", "riverside-gazette.test"),  # no public suffix: the host
    ("http://[::1/broken", ""),
    (None, ""),
])
def test_registered_domain(url, site):
    assert domains.registered_domain(url) == site


def test_pages_of_one_registered_domain_are_one_group():
    urls = ["https://www.x.co.uk/1", "https://news.x.co.uk/2", "https://x.co.uk/3", "https://www.y.co.uk/4"]
    gold = [GoldPage(id=f"g{i}", main_text="m", url=u) for i, u in enumerate(urls)]
    labelled = LabelledPage(id="l0", texts=["t"], labels=[1], url="https://edition.x.co.uk/5")
    assert [p.domain for p in gold] == ["x.co.uk", "x.co.uk", "x.co.uk", "y.co.uk"]
    assert labelled.domain == "x.co.uk"
    assert GoldPage(id="no-url", main_text="m").domain == "no-url"  # no URL: the page is its own site
    groups = [p.domain for p in gold] + ["z.co.uk", "z.co.uk"]
    for fold in grouped_folds(groups, range(len(groups)), 3):
        assert not {groups[i] for i in fold.test} & {groups[i] for i in fold.train}
        assert {0, 1, 2} <= set(fold.test) or not {0, 1, 2} & set(fold.test)


def test_registered_domains_need_no_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    domains._extractor.cache_clear()
    domains.registered_domain_of_host.cache_clear()
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert domains.registered_domain("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert domains.registered_domain("https://sub.example.com.au/") == "example.com.au"


def test_scoring_path_does_not_import_tldextract():
    code = ("import sys, classifier, classifier.model, classifier.api; from classifier import load_model; "
            "load_model(); print(sorted(m for m in ('tldextract', 'joblib', 'training') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tldextract" not in out.stdout and "training" not in out.stdout


# ----- a stub model: scores set by the test, every page it touches recorded -------------------------

FITTED: list[set[str]] = []   # page keys of every fit
SCORED: list[set[str]] = []   # page keys of every page_scores call


def key(page) -> str:
    return page[0].text


def page_of(site: str, pid: str) -> list[Block]:
    return [Block(0, f"{site} {pid}", "clutter"), Block(1, f"story of {pid} told in several plain words", "story"),
            Block(2, f"recommended teaser list for {pid}", "clutter")]


def stub_examples(n_sites: int = 6, per_site: int = 3, augmented_sites: int = 0, per_augmented: int = 4) -> Examples:
    """``n_sites`` sites of ``per_site`` pages; the first ``augmented_sites`` also get training-only copies."""
    ex = Examples([], [], [], [], [], [])
    for s in range(n_sites):
        site = f"site{s}.co.uk"
        for j in range(per_site):
            pid = f"s{s}p{j}"
            ex.pages.append(page_of(site, pid))
            ex.labels.append([0, 1, 0])
            ex.groups.append(GoldPage(id=pid, main_text="", url=f"https://www{j}.{site}/{pid}").domain)
            ex.sources.append(GoldPage(id=pid, main_text=f"story of {pid} told in several plain words"))
            ex.teasers.append([False, False, True])
            ex.train_only.append(False)
    for s in range(augmented_sites):
        for j in range(per_augmented):
            pid = f"aug-s{s}p{j}"
            ex.pages.append(page_of(f"site{s}.co.uk", pid))
            ex.labels.append([0, 1, 0])
            ex.groups.append(f"site{s}.co.uk")  # the site of the page it was derived from
            ex.sources.append(GoldPage(id=pid, main_text=f"story of {pid} told in several plain words"))
            ex.teasers.append([False, False, True])
            ex.train_only.append(True)
    return ex


def scores_by_kind(page, story: float, clutter: float) -> np.ndarray:
    return np.array([story if b.kind == "story" else clutter for b in page])


class StubModel:
    """Inner scores say 0.7 is the threshold; scores of new pages say 0.3. Training-only pages say 0.4."""

    INNER = (0.75, 0.65)
    INNER_TRAIN_ONLY = (0.45, 0.35)
    SCORES = (0.35, 0.25)
    keeps_inner_scores = True

    def fit(self, pages, labels, groups=None):
        FITTED.append({key(p) for p in pages})
        if self.keeps_inner_scores:
            self.inner_scores_ = [scores_by_kind(p, *(self.INNER_TRAIN_ONLY if key(p).split()[1].startswith("aug")
                                                      else self.INNER)) for p in pages]
        return self

    def page_scores(self, pages):
        SCORED.append({key(p) for p in pages})
        return [scores_by_kind(p, *self.SCORES) for p in pages]


class SiteStub(StubModel):
    """No inner scores; every page's scores favour a threshold set by its site: 0.7 for sites 0-2, 0.3 for 3-5."""

    keeps_inner_scores = False

    def page_scores(self, pages):
        SCORED.append({key(p) for p in pages})
        return [scores_by_kind(p, *((0.75, 0.65) if int(key(p)[4]) < 3 else (0.35, 0.25))) for p in pages]


@pytest.fixture(autouse=True)
def clean_records():
    FITTED.clear()
    SCORED.clear()


# ----- nested thresholds ---------------------------------------------------------------------------

def test_each_fold_picks_its_threshold_on_its_training_pages():
    ex = stub_examples()
    report = cross_validation_report(ex, StubModel, folds=3, progress=False)
    # picking on the scored pages would give 0.3 and a perfect F1; the honest pick (0.7) keeps nothing
    assert report["fold_thresholds"] == [0.7, 0.7, 0.7]
    assert report["fold_thresholds_picked_by"] == ["inner scores"] * 3
    assert report["threshold"] == 0.7
    assert report["systems"]["storyfilter"]["overall"]["word_f1"] == 0.0
    best_row = max(report["threshold_sweep"], key=lambda r: r["word_f1"])
    assert best_row["threshold"] == 0.3 and best_row["word_f1"] == 1.0  # the sweep shows it, nothing uses it


def test_a_fixed_threshold_overrides_the_nested_pick():
    report = cross_validation_report(stub_examples(), StubModel, folds=3, threshold=0.3, progress=False)
    assert report["fold_thresholds"] == [0.3, 0.3, 0.3] and report["threshold_rule"] == "fixed"
    assert report["systems"]["storyfilter"]["overall"]["word_f1"] == 1.0


def test_without_inner_scores_inner_folds_of_the_training_sites_pick():
    ex = stub_examples()
    train = [i for i, g in enumerate(ex.groups) if g in {"site0.co.uk", "site1.co.uk", "site2.co.uk"}]
    test = [i for i, g in enumerate(ex.groups) if g == "site3.co.uk"]
    result = run_fold(ex, Fold(train=tuple(train), test=tuple(test)), SiteStub)
    assert (result.threshold, result.picked_by) == (0.7, "inner folds")  # site3's own pages would say 0.3
    test_keys = {key(ex.pages[i]) for i in test}
    train_keys = {key(ex.pages[i]) for i in train}
    assert all(not (fitted & test_keys) and fitted <= train_keys for fitted in FITTED)
    assert [s for s in SCORED if s & test_keys] == [test_keys]  # the test pages are scored once, at the end
    assert len(FITTED) == 1 + 3  # the fold's model and three inner folds


def test_training_only_pages_take_no_part_in_picking():
    ex = stub_examples(n_sites=4, per_site=2, augmented_sites=4, per_augmented=5)
    everything = list(range(len(ex.pages)))
    model = StubModel().fit([ex.pages[i] for i in everything], ex.labels)
    # 20 training-only pages would pull the pick to 0.4; the 8 real ones say 0.7
    assert nested_threshold(ex, everything, model, StubModel) == (0.7, "inner scores")


# ----- the hold-out --------------------------------------------------------------------------------

def test_holdout_sites_are_seeded_and_leave_enough_for_cv():
    sites = [f"site{i}.test" for i in range(20)]
    held = holdout_sites(sites, 0.2, seed=0)
    assert len(held) == 4 and held == sorted(held) and set(held) <= set(sites)
    assert held == holdout_sites(list(reversed(sites)) + sites, 0.2, seed=0)  # order and repeats do not matter
    assert held != holdout_sites(sites, 0.2, seed=1)
    assert holdout_sites(sites, 0.0, seed=0) == []
    assert len(holdout_sites(sites[:5], 0.01, seed=0)) == 1  # some share: at least one site
    assert holdout_sites(sites[:2], 0.5, seed=0) == []  # two sites: both needed for cross-validation
    with pytest.raises(ValueError):
        holdout_sites(sites, 1.0, seed=0)


def test_holdout_pages_take_no_part_in_cross_validation_or_its_fit():
    ex = stub_examples(n_sites=10, per_site=2, augmented_sites=10, per_augmented=1)
    report = evaluate_protocol(ex, StubModel, folds=3, holdout=0.2, seed=3, progress=False)
    ho, cv = report["holdout"], report["cross_validation"]
    assert ho["sites"] == 2 and ho["pages"] == 4 and ho["fit_pages"] == 16 and cv["pages"] == 16
    held = {key(p) for p, g in zip(ex.pages, ex.groups) if g in set(ho["domains"])}
    assert len(held) == 6  # 4 pages and their 2 training-only copies
    cv_fits, holdout_fit = FITTED[:-1], FITTED[-1]
    assert len(cv_fits) == 3 and all(not (f & held) for f in cv_fits) and not holdout_fit & held
    assert holdout_fit == {key(p) for p in ex.pages} - held
    scored_held = [s for s in SCORED if s & held]
    assert scored_held == [{k for k in held if " aug" not in k}]  # scored once, training-only copies never
    assert ho["threshold"] == 0.7 and ho["threshold_picked_by"] == "inner scores"


def test_holdout_is_skipped_with_a_reason_when_too_few_sites():
    report = evaluate_protocol(stub_examples(n_sites=2), StubModel, folds=2, holdout=0.2, progress=False)
    assert "skipped" in report["holdout"] and report["cross_validation"]["sites"] == 2
    assert evaluate_protocol(stub_examples(), StubModel, folds=2, holdout=0, progress=False)["holdout"] is None


# ----- training-only pages -------------------------------------------------------------------------

def test_training_only_pages_are_fitted_in_their_sites_training_folds_and_never_scored():
    ex = stub_examples(n_sites=6, per_site=2, augmented_sites=3, per_augmented=2)
    report = cross_validation_report(ex, StubModel, folds=3, progress=False)
    augmented = {key(p) for p, t in zip(ex.pages, ex.train_only) if t}
    site_of = {key(p): g for p, g in zip(ex.pages, ex.groups)}
    assert not any(s & augmented for s in SCORED)
    assert report["pages"] == 12 and report["train_only_pages"] == 6 and report["sites"] == 6
    assert report["systems"]["storyfilter"]["overall"]["pages"] == 12
    assert report["systems"]["keep-everything"]["overall"]["pages"] == 12
    for fitted, scored in zip(FITTED, [s for s in SCORED]):
        test_sites = {site_of[k] for k in scored}
        assert {k for k in augmented if site_of[k] not in test_sites} <= fitted
        assert not {k for k in augmented if site_of[k] in test_sites} & fitted
    # the folds are the same with or without training-only copies
    plain = grouped_folds(ex.groups[:12], range(12), 3)
    with_copies = grouped_folds(ex.groups, [i for i in range(len(ex.pages)) if not ex.train_only[i]], 3)
    assert [f.test for f in plain] == [f.test for f in with_copies]


# ----- parallel folds ------------------------------------------------------------------------------

def test_jobs_do_not_change_the_results(pages_jsonl):
    from classifier.model import BlockClassifier
    from training.train import DEFAULT_PARAMS, load_examples

    ex = load_examples([pages_jsonl], "html", progress=False)
    settings = {**DEFAULT_PARAMS["html"], "max_iter": 50, "random_state": 0}

    def make_model():
        return BlockClassifier(**settings)

    one = evaluate_protocol(ex, make_model, folds=3, holdout=0.2, seed=0, jobs=1, progress=False)
    two = evaluate_protocol(ex, make_model, folds=3, holdout=0.2, seed=0, jobs=2, progress=False)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    assert one["cross_validation"]["fold_thresholds_picked_by"] == ["inner scores"] * 3


def test_the_sweep_shows_the_teaser_text_kept_at_each_threshold():
    report = cross_validation_report(stub_examples(), SiteStub, folds=3, progress=False)
    leak = {r["threshold"]: r["teaser_leaked"] for r in report["threshold_sweep"]}
    # half the sites' teasers score 0.65, the other half 0.25 (equal lengths)
    assert leak[0.2] == 1.0 and leak[0.3] == 0.5 and leak[0.65] == 0.5 and leak[0.7] == 0.0

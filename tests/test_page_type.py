"""The page-type model: structure features, predictions on hand-written pages, state round trip."""
from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.html_segmenter import segment_html
from classifier.page_type import (DOM_BUCKETS, FEATURE_NAMES, N_FEATURES, PAGE_TYPES, PageTypeModel,
                                  page_type_features, page_type_matrix)
from classifier.text_segmenter import segment_text

REPO = Path(__file__).resolve().parent.parent

# ----- hand-written pages, one of each kind ------------------------------------------------
ARTICLE = """<html><body>
<nav class="topnav"><ul><li><a href="/">Home</a></li><li><a href="/n">News</a></li><li><a href="/s">Sport</a></li>
<li><a href="/c">Culture</a></li></ul></nav>
<main><article class="story">
<h1>Harbour board agrees to rebuild the northern breakwater</h1>
<p class="byline">By Mara Lind · 14.03.2024</p>
<p>The harbour board voted on Tuesday to rebuild the northern breakwater, which storms in the winter had
breached in two places, leaving the inner moorings open to the swell for the first time in forty years.</p>
<p>Engineers had warned for a decade that the stone core was washing out. The new wall will be built from
precast blocks laid on the old foundation, a method the board says halves the cost of a full replacement.</p>
<p>Fishing crews welcomed the decision but asked for the work to stop during the spring season, when most
boats land their catch. The board said it would phase the work so that one berth always stays sheltered.</p>
<p>Money for the project comes from a regional fund and from mooring fees, which rise by a small amount next
year. Residents can see the plans at the harbour office until the end of the month, the board added.</p>
<p>Work is due to start in the autumn and to last eighteen months. A second phase, on the southern arm, has
not yet been costed and will be put to the board next year once the first phase has shown what it costs.</p>
</article></main>
<aside class="related"><h2>Related</h2><ul>
<li><a href="/a">Ferry timetable changes</a></li><li><a href="/b">New lifeboat named</a></li>
<li><a href="/c">Storm damage counted</a></li></ul></aside>
<footer><p>© Harbour Gazette</p></footer></body></html>"""

FORUM = """<html><body>
<nav class="forum-nav"><a href="/">Forums</a> › <a href="/garden">Garden</a></nav>
<h1>Tomato leaves curling after repotting?</h1>
<div class="thread">
<div class="post"><div class="author">greenthumb42</div><div class="meta">2024-03-12 10:45</div>
<div class="content"><p>I repotted six tomato seedlings last week and now the lower leaves are curling upwards.
They get sun all morning. Is this shock or am I overwatering them? Any tips welcome.</p></div>
<a class="reply" href="#r">Reply</a></div>
<div class="post"><div class="author">old_grower</div><div class="meta">2024-03-12 11:02</div>
<div class="content"><p>Sounds like transplant shock to me. Give them a few days in half shade and water only
when the top of the soil is dry. Mine always sulk for a week after a move.</p></div>
<a class="reply" href="#r">Reply</a></div>
<div class="post"><div class="author">lena_k</div><div class="meta">2024-03-12 13:20</div>
<div class="content"><p>Check the roots too. If the pot has no drainage holes the water sits at the bottom and
the leaves curl exactly like that. I lost a whole tray that way two years ago.</p></div>
<a class="reply" href="#r">Reply</a></div>
<div class="post"><div class="author">greenthumb42</div><div class="meta">2024-03-13 08:15</div>
<div class="content"><p>Thanks both! The pots do drain, so I moved them out of the full sun and they already
look better this morning. I will wait before feeding them anything.</p></div>
<a class="reply" href="#r">Reply</a></div>
<div class="post"><div class="author">patch_work</div><div class="meta">2024-03-13 09:40</div>
<div class="content"><p>Late to this, but a little calcium in the water helped mine last spring. Only after
they settle in, though: new roots burn easily, so go slowly and see how they respond first.</p></div>
<a class="reply" href="#r">Reply</a></div>
</div>
<div class="pagination"><a href="?p=1">1</a><a href="?p=2">2</a></div>
</body></html>"""

PRODUCT = """<html><body>
<nav class="shop-nav"><ul><li><a href="/">Shop</a></li><li><a href="/k">Kitchen</a></li>
<li><a href="/g">Garden</a></li></ul></nav>
<div class="product-page">
<h1>Enamel camping kettle, 1.2 l</h1>
<p class="price">€ 34,95</p>
<form class="buy"><label>Quantity</label><button class="add-to-cart">Add to cart</button></form>
<ul class="specs"><li>Volume: 1.2 l</li><li>Weight: 640 g</li><li>Colour: green</li><li>Material: enamel</li></ul>
<p class="description">A sturdy kettle for the stove or the campfire, with a folding handle.</p>
<table class="details"><tr><th>Height</th><td>18 cm</td></tr><tr><th>Diameter</th><td>16 cm</td></tr></table>
</div>
<div class="also-bought"><h2>Customers also bought</h2>
<div class="tile"><a href="/p/1">Tin mug</a><span class="price">€ 9,95</span></div>
<div class="tile"><a href="/p/2">Camp stove</a><span class="price">€ 59,00</span></div>
<div class="tile"><a href="/p/3">Coffee filter</a><span class="price">€ 7,50</span></div></div>
<footer><p>Free delivery over € 50</p></footer></body></html>"""

LISTING = """<html><body>
<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li><li><a href="/t">Travel</a></li>
</ul></nav>
<h1>Travel</h1>
<div class="grid">
<div class="card"><h3><a href="/t/1">Ten quiet islands for a slow summer</a></h3><p>Ferries, beaches, no crowds.</p>
<span class="date">12.03.2024</span></div>
<div class="card"><h3><a href="/t/2">Night trains are back on the map</a></h3><p>Sleepers across the continent.</p>
<span class="date">11.03.2024</span></div>
<div class="card"><h3><a href="/t/3">A weekend in the lake district</a></h3><p>Walks, inns and rain gear.</p>
<span class="date">10.03.2024</span></div>
<div class="card"><h3><a href="/t/4">Cheap flights are getting rarer</a></h3><p>What the new fees mean.</p>
<span class="date">09.03.2024</span></div>
<div class="card"><h3><a href="/t/5">Cycling the old canal paths</a></h3><p>Flat, green and long.</p>
<span class="date">08.03.2024</span></div>
<div class="card"><h3><a href="/t/6">Mountain huts open early</a></h3><p>Snow melted in March.</p>
<span class="date">07.03.2024</span></div>
</div>
<div class="pager"><a href="?page=2">Next</a></div>
<footer><p>© Daily Wanderer</p></footer></body></html>"""

DOCS = """<html><body>
<nav class="sidebar"><ul><li><a href="/docs/install">Install</a></li><li><a href="/docs/start">Quick start</a></li>
<li><a href="/docs/config">Configuration</a></li><li><a href="/docs/api">API</a></li>
<li><a href="/docs/faq">FAQ</a></li></ul></nav>
<div class="doc-content">
<h1>Configuration</h1>
<p>The loader reads its settings from a file or from keyword arguments.</p>
<h2>Reading a file</h2>
<pre><code>config = load_config("settings.toml")
config.timeout = 30
server = Server(config)</code></pre>
<p>Keys not in the file keep their defaults.</p>
<h2>Options</h2>
<table><tr><th>name</th><th>default</th></tr><tr><td>timeout</td><td>10</td></tr>
<tr><td>retries</td><td>3</td></tr></table>
<h2>Overriding</h2>
<pre><code>server = Server(config, timeout=60)  # wins over the file
server.run(port=8080)</code></pre>
<p>Arguments win over the file; see <a href="/docs/api">API</a>.</p>
</div></body></html>"""

HAND_WRITTEN = {"article": ARTICLE, "forum": FORUM, "product": PRODUCT, "listing": LISTING,
                "documentation": DOCS}

# ----- synthetic variants to fit on ---------------------------------------------------------
_SYLLABLES = ("ka", "lo", "mer", "tan", "vi", "sol", "re", "dun", "pa", "list", "or", "en", "bri", "ta", "mo")
_STYLES = (("site", "main", "item"), ("wrap", "content", "entry"), ("page", "body", "unit"),
           ("outer", "column", "box"))


def _words(rng: random.Random, n: int) -> str:
    return " ".join("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(n))


def _sentence(rng: random.Random, n: int) -> str:
    return _words(rng, n).capitalize() + "."


def _para(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(9, 16)) for _ in range(sentences))


def _nav(rng: random.Random, cls: str) -> str:
    items = "".join(f'<li><a href="/{i}">{_words(rng, 1).title()}</a></li>' for i in range(rng.randint(3, 6)))
    return f'<nav class="{cls}-nav"><ul>{items}</ul></nav>'


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 24)}"


def synthetic_page(kind: str, rng: random.Random) -> str:
    """A page of ``kind`` in one of a few templates, with invented words."""
    outer, main, item = rng.choice(_STYLES)
    head = _nav(rng, outer)
    if kind == "article":
        paras = "".join(f"<p>{_para(rng, rng.randint(3, 5))}</p>" for _ in range(rng.randint(4, 8)))
        related = "".join(f'<li><a href="/r{i}">{_words(rng, 4)}</a></li>' for i in range(3))
        body = (f'<article class="{main}"><h1>{_words(rng, 6)}</h1><p class="byline">{_words(rng, 2)} '
                f'{_date(rng)}</p>{paras}</article><aside><ul>{related}</ul></aside>')
    elif kind == "forum":
        posts = "".join(f'<div class="{item} post"><div class="user">{_words(rng, 1)}</div>'
                        f'<div class="when">20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} '
                        f'{rng.randint(10, 23)}:{rng.randint(10, 59)}</div>'
                        f'<div class="msg"><p>{_para(rng, rng.randint(2, 3))}</p></div>'
                        f'<a class="reply" href="#">{_words(rng, 1)}</a></div>' for _ in range(rng.randint(4, 8)))
        body = f'<h1>{_words(rng, 6)}?</h1><div class="{main} thread">{posts}</div>'
    elif kind == "product":
        specs = "".join(f"<li>{_words(rng, 1)}: {rng.randint(1, 99)} {_words(rng, 1)}</li>" for _ in range(4))
        tiles = "".join(f'<div class="{item}"><a href="/p{i}">{_words(rng, 2)}</a>'
                        f'<span class="price">${rng.randint(2, 90)}.{rng.randint(10, 99)}</span></div>'
                        for i in range(3))
        body = (f'<div class="{main} product"><h1>{_words(rng, 4)}</h1><p class="price">'
                f'{rng.randint(10, 300)},{rng.randint(10, 99)} €</p><form><label>{_words(rng, 1)}</label>'
                f'<button class="cart">{_words(rng, 2)}</button></form><ul class="specs">{specs}</ul>'
                f'<p>{_sentence(rng, 12)}</p><table><tr><th>{_words(rng, 1)}</th><td>{rng.randint(1, 50)} cm</td>'
                f'</tr></table></div><div class="more">{tiles}</div>')
    elif kind == "listing":
        cards = "".join(f'<div class="{item} card"><h3><a href="/c{i}">{_words(rng, 6)}</a></h3>'
                        f'<p>{_sentence(rng, 5)}</p><span>{_date(rng)}</span></div>'
                        for i in range(rng.randint(6, 12)))
        body = f'<h1>{_words(rng, 1)}</h1><div class="{main} grid">{cards}</div><div><a href="?p=2">2</a></div>'
    elif kind == "documentation":
        sections = "".join(f'<h2>{_words(rng, 3)}</h2><p>{_sentence(rng, 12)}</p>'
                           f'<pre><code>x = {_words(rng, 1)}("{_words(rng, 1)}")\nx.{_words(rng, 1)}(n=3)'
                           f'</code></pre>' for _ in range(rng.randint(2, 4)))
        body = f'<div class="{main} docs"><h1>{_words(rng, 2)}</h1><p>{_sentence(rng, 10)}</p>{sections}</div>'
    else:
        raise ValueError(kind)
    return f"<html><body>{head}{body}<footer><p>{_words(rng, 3)}</p></footer></body></html>"


def synthetic_set(per_kind: int = 6, seed: int = 3) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    pages, types = [], []
    for kind in HAND_WRITTEN:
        for _ in range(per_kind):
            pages.append(synthetic_page(kind, rng))
            types.append(kind)
    return pages, types


@pytest.fixture(scope="module")
def fitted() -> PageTypeModel:
    pages, types = synthetic_set()
    return PageTypeModel(C=1.0).fit([segment_html(p) for p in pages], types)


# ----- features -----------------------------------------------------------------------------------
def _feature(blocks, name: str) -> float:
    return float(page_type_features(blocks)[FEATURE_NAMES.index(name)])


def test_features_are_one_finite_row_per_page():
    rows = page_type_matrix([segment_html(p) for p in HAND_WRITTEN.values()] + [[]])
    assert rows.shape == (len(HAND_WRITTEN) + 1, N_FEATURES) == (6, len(FEATURE_NAMES))
    assert np.all(np.isfinite(rows))
    assert not rows[-1].any()  # a page without blocks


def test_structure_features_tell_the_pages_apart():
    article, forum, product, listing, docs = (segment_html(HAND_WRITTEN[k]) for k in
                                              ("article", "forum", "product", "listing", "documentation"))
    assert _feature(article, "text_longest_run") > 0.6 > _feature(forum, "text_longest_run")
    assert _feature(forum, "log_post_groups") > 0 and _feature(forum, "log_times") > 0
    assert _feature(product, "log_prices") > 0 and _feature(article, "log_prices") == 0
    assert _feature(listing, "headings_repeated_linked") > 0.8  # all but the page title
    assert _feature(listing, "repeated_with_dates") > 0.2
    assert _feature(docs, "blocks_preformatted") > 0 and _feature(docs, "text_code_marks") > \
        _feature(article, "text_code_marks")


def test_dates_and_prices_are_found_by_character_class_in_any_script():
    blocks = segment_text("السعر ٤٩ €\nتاريخ ٢٠٢٤-٠٣-١٢\n¥ 3000 の商品\n2024年")
    assert _feature(blocks, "log_prices") == pytest.approx(np.log1p(2))
    assert _feature(blocks, "log_dates") == pytest.approx(np.log1p(2))  # ٢٠٢٤-٠٣-١٢ and 2024
    assert _feature(segment_text("Call 555 1234 about 42 cats"), "log_prices") == 0


def test_text_mode_has_no_dom_columns():
    x = page_type_features(segment_text("A title\n" + "\n\n".join(["A paragraph. " * 30] * 4)))
    assert not x[N_FEATURES - DOM_BUCKETS:].any()
    assert x[FEATURE_NAMES.index("blocks_line")] == 1.0
    assert x[FEATURE_NAMES.index("log_groups")] == 0.0 and x[FEATURE_NAMES.index("blocks_after_blank")] > 0


# ----- the model ----------------------------------------------------------------------------------
def test_hand_written_pages_get_their_type(fitted):
    assert fitted.types_ == ("article", "forum", "listing", "product", "documentation")
    names = list(HAND_WRITTEN)
    proba = fitted.predict_proba([segment_html(HAND_WRITTEN[k]) for k in names])
    assert proba.shape == (len(names), 5)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [fitted.types_[i] for i in proba.argmax(axis=1)] == names


def test_text_mode_model_types_the_hand_written_pages_as_plain_text():
    from training.dataset import TEXT_STYLES, render_as_text

    rng = random.Random(0)
    pages, types = synthetic_set(per_kind=6, seed=11)
    text_pages = [segment_text(render_as_text(segment_html(p), rng.choice(TEXT_STYLES))) for p in pages]
    model = PageTypeModel(C=1.0).fit(text_pages, types)
    names = list(HAND_WRITTEN)
    assert all(b.path is None for p in text_pages for b in p)
    assert model.predict([segment_text(render_as_text(segment_html(HAND_WRITTEN[k]), "lines"))
                          for k in names]) == names


def test_fit_refuses_unknown_or_single_types():
    pages = [segment_html(ARTICLE), segment_html(FORUM)]
    with pytest.raises(ValueError, match="unknown page types"):
        PageTypeModel().fit(pages, ["article", "blog"])
    with pytest.raises(ValueError, match="two page types"):
        PageTypeModel().fit(pages, ["article", "article"])


def test_two_types_give_two_columns():
    pages, types = synthetic_set(per_kind=4)
    keep = [i for i, t in enumerate(types) if t in ("article", "forum")]
    model = PageTypeModel().fit([segment_html(pages[i]) for i in keep], [types[i] for i in keep])
    proba = model.predict_proba([segment_html(ARTICLE), segment_html(FORUM)])
    assert model.types_ == ("article", "forum") and proba.shape == (2, 2)
    assert list(proba.argmax(axis=1)) == [0, 1]


# ----- state ---------------------------------------------------------------------------------------
def _through_files(arrays: dict, config: dict) -> tuple[dict, dict]:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        loaded = {k: npz[k] for k in npz.files}
    return loaded, json.loads(json.dumps(config))


def test_state_round_trip_gives_identical_probabilities(fitted):
    pages = [segment_html(p) for p in HAND_WRITTEN.values()]
    again = PageTypeModel.from_state(*_through_files(*fitted.to_state()))
    assert again.types_ == fitted.types_
    assert np.array_equal(again.predict_proba(pages), fitted.predict_proba(pages))


@pytest.mark.parametrize("damage, message", [
    (lambda a, c: a.update(coef=a["coef"][:, :-1]), "coef"),
    (lambda a, c: a.update(coef=a["coef"][:-1]), "coef"),
    (lambda a, c: a.update(intercept=a["intercept"][:-1]), "intercept"),
    (lambda a, c: a.update(mean=a["mean"][:10]), "mean"),
    (lambda a, c: a.pop("scale"), "missing"),
    (lambda a, c: a.update(scale=np.zeros_like(a["scale"])), "positive"),
    (lambda a, c: a["coef"].__setitem__((0, 0), np.nan), "NaN"),
    (lambda a, c: c.update(types=c["types"][:-1]), "coef"),
    (lambda a, c: c.update(types=["article", "blog"]), "page types"),
    (lambda a, c: c.update(feature_names=c["feature_names"][:-1]), "features"),
    (lambda a, c: c.update(format="something-else"), "format"),
    (lambda a, c: c.update(version=99), "version"),
])
def test_from_state_rejects_bad_state(fitted, damage, message):
    _assert_refused(fitted, damage, message)


def _assert_refused(model: PageTypeModel, damage, message: str) -> None:
    arrays, config = model.to_state()
    damage(arrays, config)
    with pytest.raises(ValueError, match=message):
        PageTypeModel.from_state(arrays, config)


# ----- boosted trees (the shipped head) ----------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_trees() -> PageTypeModel:
    pages, types = synthetic_set(per_kind=30, seed=7)  # scikit-learn's trees need 20 pages a leaf
    return PageTypeModel(trees=30, tree_leaves=4, class_weight=None).fit([segment_html(p) for p in pages], types)


def test_trees_type_fresh_pages(fitted_trees):
    """Pages drawn anew (another seed) get their type; the shipped head's types of hand-written
    pages are checked in tests/test_structure_pages.py."""
    pages, types = synthetic_set(per_kind=4, seed=21)
    proba = fitted_trees.predict_proba([segment_html(p) for p in pages])
    assert fitted_trees.trees_ is not None and fitted_trees.coef_ is None
    assert np.allclose(proba.sum(axis=1), 1.0)
    right = sum(fitted_trees.types_[k] == t for k, t in zip(proba.argmax(axis=1), types))
    assert right >= 0.9 * len(types)


def test_trees_score_as_scikit_learn_does():
    """The numpy walk gives scikit-learn's probabilities, for seven types and for two."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    pages, types = synthetic_set(per_kind=25, seed=5)
    X = page_type_matrix([segment_html(p) for p in pages])
    for keep in (list(range(len(types))), [i for i, t in enumerate(types) if t in ("article", "forum")]):
        sub_types = [types[i] for i in keep]
        ours = PageTypeModel(trees=12, tree_leaves=5, class_weight=None).fit_features(X[keep], sub_types)
        theirs = HistGradientBoostingClassifier(max_iter=12, max_leaf_nodes=5, early_stopping=False,
                                                random_state=0).fit(X[keep], [ours.types_.index(t) for t in sub_types])
        assert np.allclose(ours.proba_from_features(X), theirs.predict_proba(X), atol=1e-9)
        assert ours.trees_.depth > 0  # the trees split: more than the baseline is checked


def test_tree_state_round_trip_gives_identical_probabilities(fitted_trees):
    pages = [segment_html(p) for p in HAND_WRITTEN.values()]
    arrays, config = fitted_trees.to_state()
    assert config["version"] == 2 and "coef" not in arrays and config["params"]["trees"] == 30
    again = PageTypeModel.from_state(*_through_files(arrays, config))
    assert np.array_equal(again.predict_proba(pages), fitted_trees.predict_proba(pages))


@pytest.mark.parametrize("damage, message", [
    (lambda a, c: a.pop("trees_value"), "lack"),
    (lambda a, c: a.update(trees_feature=a["trees_feature"] + N_FEATURES), "feature"),
    (lambda a, c: a.update(trees_left=a["trees_left"] + len(a["trees_left"])), "outside"),
    (lambda a, c: a.update(trees_roots=a["trees_roots"][:-1]), "per iteration"),
    (lambda a, c: a["trees_value"].__setitem__(0, np.nan), "NaN"),
    (lambda a, c: c.update(version=1), "coef"),
])
def test_from_state_rejects_bad_trees(fitted_trees, damage, message):
    _assert_refused(fitted_trees, damage, message)


@pytest.mark.parametrize("model_name", ["fitted", "fitted_trees"])
def test_scoring_does_not_import_scikit_learn(model_name, request, tmp_path):
    fitted = request.getfixturevalue(model_name)
    arrays, config = fitted.to_state()
    np.savez(tmp_path / "page_type.npz", **arrays)
    (tmp_path / "page_type.json").write_text(json.dumps(config))
    (tmp_path / "page.html").write_text(FORUM)
    script = f"""
import json, sys
import numpy as np
from classifier.html_segmenter import segment_html
from classifier.page_type import PageTypeModel
folder = {str(tmp_path)!r}
with np.load(folder + "/page_type.npz", allow_pickle=False) as npz:
    arrays = {{k: npz[k] for k in npz.files}}
model = PageTypeModel.from_state(arrays, json.load(open(folder + "/page_type.json")))
proba = model.predict_proba([segment_html(open(folder + "/page.html").read())])
assert proba.shape == (1, {len(fitted.types_)})
print(model.types_[int(proba.argmax())], "sklearn" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == [fitted.predict([segment_html(FORUM)])[0], "False"]


def test_page_types_are_the_data_s_seven():
    assert PAGE_TYPES == ("article", "forum", "collection", "listing", "product", "documentation", "service")


def test_dom_words_are_read_as_each_block_carries_them():
    """The one-pass reader gives every block the buckets, form flag and first heading level
    of its own DOM words."""
    import zlib

    from classifier.html_segmenter import segment_html
    from classifier.page_type import DOM_BUCKETS, dom_word_buckets

    html = ("<html><body><form class='search box'><button>Go</button><h2 class='x'>Find</h2></form>"
            "<main class='story'><h1>Title</h1><h3>Sub</h3><p class='lead'>Lead text.</p><p>More.</p></main>"
            "<aside id='side'><ul><li><a>One</a></li><li><a>Two</a></li></ul></aside></body></html>")
    blocks = segment_html(html)
    slot, owner, bucket, form, level = dom_word_buckets(blocks)
    for i, block in enumerate(blocks):
        tokens = block.dom_tokens
        if not tokens:
            assert slot[i] == -1
            continue
        k = slot[i]
        expected = {zlib.crc32(t.encode("utf-8")) % DOM_BUCKETS for t in tokens}
        assert set(bucket[owner == k].tolist()) == expected
        assert bool(form[k]) == ("form" in tokens or "button" in tokens)
        heading = next((t for t in tokens if len(t) == 6 and t.startswith("tag_h") and t[5] in "123456"), None)
        assert level[k] == (min(int(heading[5]), 3) if heading else 0)
    assert (level > 0).any()

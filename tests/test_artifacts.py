"""Model directories: round trip, hashes, clear errors for damaged models, atomic writes."""
from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

import classifier.artifacts as artifacts
from classifier import ModelError, load_model
from classifier.api import load_model_directory
from classifier.artifacts import FORMAT_VERSION, load_model_dir, save_model_dir, verify_model_dir
from classifier.model import BlockClassifier, classifier_to_state
from training.dataset import build_examples
from training.readers import read_pages_jsonl


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(model_dir: Path, manifest: dict, reseal: bool = True) -> None:
    """Write a manifest; ``reseal`` recomputes its seal, as an editor who knows about it would."""
    if reseal and artifacts.SEAL in manifest:
        manifest[artifacts.SEAL] = artifacts.manifest_seal(manifest)
    (model_dir / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(model_dir: Path, reseal: bool = True, **changes) -> dict:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    write_manifest(model_dir, manifest, reseal)
    return manifest


def rehash(model_dir: Path, name: str) -> None:
    """Make the manifest agree with a file again (as a careless but thorough editor would)."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["files"][name]["sha256"] = sha256(model_dir / name)
    write_manifest(model_dir, manifest)


def no_temp_dirs(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def small_model(pages_jsonl):
    examples = build_examples(read_pages_jsonl(pages_jsonl)[:16], "html", progress=False)
    model = BlockClassifier(min_df=2).fit(examples.pages, examples.labels, groups=examples.groups)
    return model, examples


def save(model: BlockClassifier, directory: Path, **extra) -> Path:
    arrays, config = classifier_to_state(model)
    manifest = {"name": "tiny", "version": "1", "mode": "html", "threshold": 0.4, **extra}
    return save_model_dir(directory, arrays, config, manifest, "# card\n")


# ----- round trip ------------------------------------------------------------------------------

def test_round_trip_gives_identical_scores(tmp_path, small_model, unseen_pages):
    model, examples = small_model
    target = save(model, tmp_path / "m")
    assert sorted(p.name for p in target.iterdir()) == ["MODEL_CARD.md", "manifest.json", "model.json", "model.npz"]
    loaded = load_model_directory(target)
    assert (loaded.name, loaded.version, loaded.mode, loaded.threshold) == ("tiny", "1", "html", 0.4)
    np.testing.assert_array_equal(loaded.classifier.predict_proba(examples.pages),
                                  model.predict_proba(examples.pages))
    # and through the public API, on pages neither saw
    sf = load_model(target)
    html = unseen_pages[0].html
    expected = model.page_scores([sf.html_blocks(html)])[0]
    assert [b.score for b in sf.filter_html(html).blocks] == pytest.approx(list(expected), abs=0)


def test_manifest_lists_sha256_and_versions(tmp_path, small_model):
    target = save(small_model[0], tmp_path / "m", training_data={"pages": 16})
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert set(manifest["files"]) == {"model.npz", "model.json", "MODEL_CARD.md"}
    for name, info in manifest["files"].items():
        assert info["sha256"] == sha256(target / name)
        assert info["bytes"] == (target / name).stat().st_size
    for lib in ("storyfilter", "python", "numpy", "scipy", "scikit-learn"):
        assert isinstance(manifest["libraries"][lib], str) and manifest["libraries"][lib]
    assert manifest["training_data"] == {"pages": 16}


def test_weights_are_not_pickled(tmp_path, small_model):
    target = save(small_model[0], tmp_path / "m")
    with np.load(target / "model.npz", allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_saved_directory_is_readable_like_any_new_directory(tmp_path, small_model):
    umask = os.umask(0)
    os.umask(umask)
    target = save(small_model[0], tmp_path / "m")
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~umask


# ----- damaged models ----------------------------------------------------------------------------

@pytest.fixture
def html_dir(model_copy) -> Path:
    return model_copy / "html"


def load_error(path: Path) -> str:
    with pytest.raises(ModelError) as info:
        load_model(path)
    return str(info.value)


def test_missing_file(html_dir):
    (html_dir / "model.npz").unlink()
    message = load_error(html_dir.parent)
    assert str(html_dir / "model.npz") in message and "missing" in message


def test_corrupt_npz(html_dir):
    data = bytearray((html_dir / "model.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (html_dir / "model.npz").write_bytes(bytes(data))
    message = load_error(html_dir)
    assert str(html_dir / "model.npz") in message and "sha256" in message


def test_corrupt_npz_even_with_a_matching_hash(html_dir):
    (html_dir / "model.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    rehash(html_dir, "model.npz")
    message = load_error(html_dir)
    assert str(html_dir / "model.npz") in message and "weights" in message


def test_npz_with_an_object_array_is_refused(html_dir):
    buffer = io.BytesIO()
    np.savez(buffer, stage1_coef=np.array([{"a": 1}], dtype=object))
    (html_dir / "model.npz").write_bytes(buffer.getvalue())
    rehash(html_dir, "model.npz")
    assert str(html_dir / "model.npz") in load_error(html_dir)


def test_weights_that_do_not_fit_the_config(html_dir):
    with np.load(html_dir / "model.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["stage1_coef"] = arrays["stage1_coef"][:-3]
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (html_dir / "model.npz").write_bytes(buffer.getvalue())
    rehash(html_dir, "model.npz")
    assert "model.json" in load_error(html_dir)


def test_edited_model_json(html_dir):
    config = json.loads((html_dir / "model.json").read_text())
    config["params"]["C"] = 123.0
    (html_dir / "model.json").write_text(json.dumps(config))
    message = load_error(html_dir)
    assert str(html_dir / "model.json") in message and "sha256" in message


def test_edited_model_card_is_caught_too(html_dir):
    with (html_dir / "MODEL_CARD.md").open("a") as handle:
        handle.write("\nbest model ever\n")
    assert str(html_dir / "MODEL_CARD.md") in load_error(html_dir)


def test_model_json_not_an_object(html_dir):
    (html_dir / "model.json").write_text("[1, 2, 3]")
    rehash(html_dir, "model.json")
    assert str(html_dir / "model.json") in load_error(html_dir)


def test_missing_manifest(html_dir):
    (html_dir / "manifest.json").unlink()
    with pytest.raises(ModelError, match="manifest.json"):
        load_model_dir(html_dir)
    with pytest.raises(ModelError, match="manifest.json"):
        load_model_directory(html_dir)
    # the parent folder still has text/, so only html/ is lost; with both gone it is an error
    (html_dir.parent / "text" / "manifest.json").unlink()
    message = load_error(html_dir.parent)
    assert str(html_dir.parent / "html" / "manifest.json") in message


@pytest.mark.parametrize("content, words", [
    ("{not json", "unreadable manifest"),
    ("[]", "files"),
    (json.dumps({"format_version": FORMAT_VERSION}), "files"),
    (b"\xff\xfe\x00garbage", "unreadable manifest"),
])
def test_invalid_manifest(html_dir, content, words):
    path = html_dir / "manifest.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    message = load_error(html_dir)
    assert str(path) in message and words in message


@pytest.mark.parametrize("changes, words", [
    ({"format_version": FORMAT_VERSION + 1}, "format"),
    ({"format_version": None}, "format"),
    ({"threshold": "high"}, "threshold"),
    ({"threshold": 1.5}, "threshold"),
    ({"mode": "pdf"}, "mode"),
    ({"name": ["x"]}, "name"),
    ({"libraries": "numpy"}, "libraries"),
])
def test_wrong_manifest_fields(html_dir, changes, words):
    edit_manifest(html_dir, **changes)
    message = load_error(html_dir)
    assert str(html_dir / "manifest.json") in message and words in message


def test_manifest_cannot_point_outside_the_directory(html_dir):
    manifest = json.loads((html_dir / "manifest.json").read_text())
    manifest["files"]["../text/model.npz"] = {"sha256": sha256(html_dir.parent / "text" / "model.npz")}
    write_manifest(html_dir, manifest)
    message = load_error(html_dir)
    assert "not a plain file name" in message


def test_manifest_must_list_the_weights(html_dir):
    manifest = json.loads((html_dir / "manifest.json").read_text())
    del manifest["files"]["model.npz"]
    write_manifest(html_dir, manifest)
    assert "model.npz" in load_error(html_dir)


def test_other_library_versions_warn_but_load(html_dir):
    manifest = json.loads((html_dir / "manifest.json").read_text())
    libraries = {**manifest["libraries"], "scikit-learn": "0.1.0", "numpy": "0.9"}
    edit_manifest(html_dir, libraries=libraries)
    with pytest.warns(RuntimeWarning, match="scikit-learn 0.1.0"):
        verify_model_dir(html_dir)
    with pytest.warns(RuntimeWarning):
        assert load_model(html_dir).filter_text("A line.\nAnother line.").blocks


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="html/ or text/"):
        load_model(tmp_path / "empty")


# ----- atomic writes -----------------------------------------------------------------------------

def snapshot(directory: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(directory.iterdir())}


def test_overwrite_replaces_the_whole_directory(tmp_path, small_model):
    target = save(small_model[0], tmp_path / "m")
    (target / "stale.txt").write_text("left over")
    save(small_model[0], tmp_path / "m", version="2")
    assert not (target / "stale.txt").exists()
    assert json.loads((target / "manifest.json").read_text())["version"] == "2"
    assert no_temp_dirs(tmp_path)


def test_failure_while_writing_leaves_old_model(tmp_path, small_model, monkeypatch):
    target = save(small_model[0], tmp_path / "m")
    before = snapshot(target)

    def boom():
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(artifacts, "library_versions", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save(small_model[0], tmp_path / "m", version="2")
    assert snapshot(target) == before
    assert no_temp_dirs(tmp_path)
    monkeypatch.undo()
    load_model(target)  # still a valid model


def test_failure_while_swapping_leaves_old_model(tmp_path, small_model, monkeypatch):
    target = save(small_model[0], tmp_path / "m")
    before = snapshot(target)
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append((Path(src), Path(dst)))
        if Path(dst) == target and ".tmp-" in Path(src).name:
            raise OSError("rename failed")
        return real_replace(src, dst)
    monkeypatch.setattr(artifacts.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="rename failed"):
        save(small_model[0], tmp_path / "m", version="2")
    assert any(".tmp-" in src.name for src, _ in calls)  # the failing rename did happen
    assert snapshot(target) == before
    assert no_temp_dirs(tmp_path)


def test_interrupted_save_of_a_new_directory_leaves_nothing(tmp_path, small_model, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(artifacts.np, "savez_compressed", boom)
    with pytest.raises(KeyboardInterrupt):
        save(small_model[0], tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_npz_archive_holds_only_arrays(tmp_path, small_model):
    target = save(small_model[0], tmp_path / "m")
    with zipfile.ZipFile(target / "model.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())


# ----- integrity: the manifest's seal, pinned digests, the shipped models' pins ---------------------

@pytest.mark.parametrize("mode, changes", [
    ("html", {"threshold": 0.9}),
    ("html", {"threshold": 0}),
    ("text", {"postfilter_threshold": 0.01}),
    ("html", {"params": {"C": 1000.0}}),
    ("html", {"mode": "text"}),
    ("text", {"name": "another-model"}),
])
def test_an_edited_manifest_is_refused_naming_it(model_copy, mode, changes):
    directory = model_copy / mode
    edit_manifest(directory, reseal=False, **changes)
    message = load_error(model_copy)
    assert str(directory / "manifest.json") in message and "edited" in message


def test_a_saved_manifest_carries_its_seal_and_loads_without_warnings(tmp_path, small_model, recwarn):
    target = save(small_model[0], tmp_path / "m")
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest[artifacts.SEAL] == artifacts.manifest_seal(manifest)
    verify_model_dir(target)
    assert not [w for w in recwarn if "manifest_sha256" in str(w.message)]


def test_the_seal_does_not_depend_on_layout(html_dir):
    manifest = json.loads((html_dir / "manifest.json").read_text())
    text = json.dumps(dict(reversed(list(manifest.items()))), indent=7, ensure_ascii=True)
    (html_dir / "manifest.json").write_text(text)
    verify_model_dir(html_dir)


def test_a_manifest_without_a_seal_warns_unless_pinned(html_dir, recwarn):
    edit_manifest(html_dir, **{artifacts.SEAL: None})
    with pytest.warns(RuntimeWarning, match="manifest_sha256"):
        verify_model_dir(html_dir)
    recwarn.clear()
    verify_model_dir(html_dir, artifacts.model_digest(html_dir))
    assert not [w for w in recwarn if "manifest_sha256" in str(w.message)]


def test_a_user_pins_a_model_by_its_digest(model_copy):
    html, text = model_copy / "html", model_copy / "text"
    pins = {"html": artifacts.model_digest(html), "text": artifacts.model_digest(text)}
    assert load_model(html, expected_sha256=pins["html"]).models["html"].sha256 == pins["html"]
    assert set(load_model(model_copy, expected_sha256=pins).models) == {"html", "text"}
    with pytest.raises(ModelError, match="pinned"):
        load_model(html, expected_sha256="0" * 64)
    with pytest.raises(ModelError, match="pin each"):
        load_model(model_copy, expected_sha256=pins["html"])
    with pytest.raises(ModelError, match="no sha256 pinned for the text model"):
        load_model(model_copy, expected_sha256={"html": pins["html"]})


def test_a_pinned_model_refuses_a_resealed_edit(model_copy):
    html = model_copy / "html"
    pin = artifacts.model_digest(html)
    edit_manifest(html, threshold=0.91)  # resealed: only the pin can tell
    load_model(html)
    with pytest.raises(ModelError) as info:
        load_model(html, expected_sha256=pin)
    assert str(html / "manifest.json") in str(info.value)


def test_the_shipped_models_match_their_pins():
    """Fails after the shipped models are retrained until they are pinned again:
    python -m classifier.artifacts pin artifacts/html artifacts/text"""
    from classifier.api import default_model_path
    from classifier.shipped_models import SHIPPED_SHA256

    root = default_model_path()
    present = {mode for mode in ("html", "text") if (root / mode / "manifest.json").is_file()}
    assert set(SHIPPED_SHA256) == present
    for mode, digest in SHIPPED_SHA256.items():
        assert artifacts.model_digest(root / mode) == digest, (
            f"{root / mode} is not the pinned shipped model: run "
            "python -m classifier.artifacts pin artifacts/html artifacts/text")


def test_a_tampered_shipped_model_is_refused(tmp_path, monkeypatch):
    import shutil

    import classifier.api as api

    shipped = tmp_path / "artifacts"
    shutil.copytree(api.default_model_path(), shipped, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(api, "default_model_path", lambda: shipped)
    path = shipped / "text" / "manifest.json"
    path.write_text(path.read_text().replace('"threshold": 0.5', '"threshold": 0.05', 1))
    with pytest.raises(ModelError) as info:
        load_model()
    assert str(path) in str(info.value)
    with pytest.raises(ModelError):
        load_model(shipped)


def test_pin_command_writes_the_pins_and_digest_prints_them(model_copy, tmp_path, capsys):
    target = tmp_path / "pins.py"
    pins = artifacts.write_pins([model_copy / "html", model_copy / "text"], target)
    namespace: dict = {}
    exec(target.read_text(), namespace)
    assert namespace["SHIPPED_SHA256"] == pins == {m: artifacts.model_digest(model_copy / m) for m in ("html", "text")}
    assert artifacts.main(["digest", str(model_copy / "html")]) == 0
    assert pins["html"] in capsys.readouterr().out
    with pytest.raises(ModelError, match="second html"):
        artifacts.write_pins([model_copy / "html", model_copy / "html"], target)

"""The Dockerfile cannot be built here (no container engine); at least it must name what exists."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_dockerfile_copies_existing_paths_and_runs_the_installed_command():
    lines = [line.split() for line in (REPO / "Dockerfile").read_text().splitlines() if line and line[0] != "#"]
    copied = [src for words in lines if words[0] == "COPY" for src in words[1:-1]]
    assert copied and all((REPO / src).exists() for src in copied), copied
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    # Every package the wheel ships is copied into the image.
    assert {package.split(".")[0] for package in project["tool"]["setuptools"]["packages"]} <= set(copied)
    cmd = next(words for words in lines if words[0] == "CMD")
    assert cmd[1].strip('[",') in project["project"]["scripts"]
    assert any(words[:2] == ["USER", "nobody"] for words in lines)

"""A test's optional extra that does not import: skipped for a user, a failure in CI."""
from __future__ import annotations

import pytest

from extras import require


def test_a_missing_extra_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_storyfilter_extra"):
        require("no_such_storyfilter_extra")


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_a_missing_extra_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="in CI every extra must import"):
        require("no_such_storyfilter_extra", "review")


def test_a_present_extra_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require("json").dumps([1]) == "[1]"

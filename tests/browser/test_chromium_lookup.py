"""Without a Chromium the browser tests skip, except under CI=true, where they fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import find_chromium, require_chromium


def test_missing_chromium_skips_outside_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium(str(tmp_path / "chromium")) is None
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        require_chromium(None, {})
    with pytest.raises(pytest.skip.Exception):
        require_chromium(None, {"CI": "false"})


def test_missing_chromium_fails_under_ci() -> None:
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium(None, {"CI": "true"})


def test_chromium_found_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "chromium"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium(str(tmp_path / "absent")) == str(binary)
    assert require_chromium(str(binary), {"CI": "true"}) == str(binary)

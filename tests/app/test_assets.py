"""``rounds assets``: hls.js from the locked npm package into static/vendor, idempotently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import app.assets
from app.assets import HLS_PLAYER, AssetsError, install
from app.cli import main

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the repository's package files, with hls.js already in node_modules (made
    by `rounds assets` in the checkout itself if need be), so nothing needs the network."""
    if not (REPO / "node_modules" / "hls.js" / "dist" / "hls.min.js").is_file():
        install(REPO)
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "node_modules" / "hls.js", root / "node_modules" / "hls.js")
    return root


def test_the_lock_pins_hls_js_1_6_or_later() -> None:
    wanted = json.loads((REPO / "package.json").read_text())["dependencies"]["hls.js"]
    assert wanted.startswith("^1.")
    locked = json.loads((REPO / "package-lock.json").read_text())
    version = locked["packages"]["node_modules/hls.js"]["version"]
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) >= (1, 6)


def test_install_copies_the_player_and_its_licence_once(checkout: Path) -> None:
    changed = install(checkout)
    player = checkout / HLS_PLAYER
    assert sorted(p.name for p in changed) == ["LICENSE", "hls.min.js"]
    assert player.read_bytes() == (
        checkout / "node_modules" / "hls.js" / "dist" / "hls.min.js").read_bytes()
    assert "Apache" in (player.parent / "LICENSE").read_text()
    assert install(checkout) == []  # nothing to do the second time
    player.write_text("stale")
    assert install(checkout) == [player]


def test_failures_say_what_to_do(checkout: Path, tmp_path: Path) -> None:
    with pytest.raises(AssetsError, match=r"There is no package\.json"):
        install(tmp_path)
    (checkout / "node_modules" / "hls.js" / "dist" / "hls.min.js").unlink()
    with pytest.raises(AssetsError, match=r"delete node_modules and run `rounds assets` again\."):
        install(checkout)
    (checkout / "package-lock.json").write_text("{not json")
    with pytest.raises(AssetsError, match=r"is not a valid npm lock file"):
        install(checkout)


def test_the_command_is_quiet_on_success_and_clear_on_failure(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.assets, "ROOT", checkout)
    done = CliRunner().invoke(main, ["assets"])
    assert done.exit_code == 0 and done.output == ""
    assert (checkout / HLS_PLAYER).is_file()
    monkeypatch.setattr(app.assets, "ROOT", tmp_path / "elsewhere")
    failed = CliRunner().invoke(main, ["assets"])
    assert failed.exit_code == 1
    assert "There is no package.json" in failed.output

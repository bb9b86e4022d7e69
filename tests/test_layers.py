"""The layers stay apart: media knows nothing of courses or the database, and courses
(the education domain) knows nothing of the web app, Starlette, aiortc or media.

Every module's imports are read with ``ast``, including imports inside functions, under
``if TYPE_CHECKING:`` and ``importlib.import_module("...")`` calls with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> the modules it must never import (each with everything below it)
RULES: dict[str, tuple[str, ...]] = {
    "media": ("courses", "sqlmodel", "sqlalchemy"),
    "courses": ("media", "app", "starlette", "aiortc"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, as absolute names."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import sub` may import the module pkg.sub
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def is_forbidden(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = module_name(path)
        names = imports_of(path.read_text(encoding="utf-8"), module,
                           is_package=path.name == "__init__.py")
        found += [f"{module} imports {n}" for n in sorted(names) if is_forbidden(n, forbidden)]
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_layers_keep_to_themselves(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package, RULES[package]) == []


def test_the_domain_is_actually_read() -> None:
    # A wrong path would make the test above pass on no files at all.
    modules = {module_name(p) for p in (ROOT / "courses").rglob("*.py")}
    assert {"courses.enrollment", "courses.models.accounts", "courses"} <= modules
    assert "sqlmodel" in imports_of((ROOT / "courses/enrollment.py").read_text(),
                                    "courses.enrollment")


# -- the checker itself -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("media", "import sqlalchemy"),
        ("media", "import sqlalchemy.orm as orm"),
        ("media", "from sqlmodel import select"),
        ("media", "from sqlalchemy.ext.asyncio import AsyncSession"),
        ("media", "import courses.models"),
        ("media", "from courses import enrollment"),
        ("media", "import os, courses"),
        ("media", "def later():\n    from courses.models import User\n"),
        ("media", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlmodel\n"),
        ("media", "import importlib\nimportlib.import_module('courses.catalog')"),
        ("courses", "from app.db import Database"),
        ("courses", "import app"),
        ("courses", "from app import wiring"),
        ("courses", "from starlette.requests import Request"),
        ("courses", "import aiortc"),
        ("courses", "from aiortc.contrib.media import MediaPlayer"),
        ("courses", "from media import rooms"),
        ("courses", "try:\n    import starlette\nexcept ImportError:\n    pass\n"),
        ("courses", "__import__('aiortc')"),
    ],
)
def test_the_checker_catches_a_forbidden_import(package: str, source: str) -> None:
    names = imports_of(source, f"{package}.somewhere")
    assert any(is_forbidden(n, RULES[package]) for n in names), names


@pytest.mark.parametrize(
    ("package", "module", "source"),
    [
        ("courses", "courses.catalog", "from . import permissions"),
        ("courses", "courses.models.catalog", "from ..errors import NotFound"),
        ("courses", "courses.models.catalog", "from .base import x"),
        ("courses", "courses.x", "import applications\nimport starlette_like\nimport mediapipe"),
        ("courses", "courses.x", "from courses.models import User"),
        ("media", "media.rooms", "import aiortc\nfrom app_helpers import x\nimport coursework"),
        ("media", "media.rooms", "import sqlalchemy_utils_not_really"),
    ],
)
def test_the_checker_allows_what_is_allowed(package: str, module: str, source: str) -> None:
    names = imports_of(source, module)
    assert not [n for n in names if is_forbidden(n, RULES[package])]


def test_relative_imports_resolve_to_absolute_names() -> None:
    assert imports_of("from ..errors import NotFound", "courses.models.catalog") >= {
        "courses.errors", "courses.errors.NotFound"
    }
    assert "courses.models.base" in imports_of("from .base import x", "courses.models",
                                               is_package=True)

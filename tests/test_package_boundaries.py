"""The framework-free core never imports a web or UI framework (ARCHITECTURE §2)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = ["journal", "sync", "medcom", "nsp_client", "integrations"]
FORBIDDEN = {"fastapi", "starlette", "kivy", "uvicorn"}
# journal is the bottom layer: it imports none of the other project packages.
PROJECT_PACKAGES = {"journal", "sync", "medcom", "nsp_client", "integrations", "server", "tablet_app", "ppj"}
ALLOWED_PROJECT_IMPORTS = {
    "journal": {"journal"},
    "sync": {"journal", "sync"},
    "medcom": {"journal", "medcom"},
    "nsp_client": {"journal", "nsp_client"},
    "integrations": {"journal", "integrations"},
}


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def core_modules() -> list[tuple[str, Path]]:
    return [(pkg, path) for pkg in CORE_PACKAGES for path in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize(("package", "path"), core_modules(), ids=lambda v: str(v))
def test_core_module_imports_no_framework_and_respects_layering(package: str, path: Path) -> None:
    imported = imported_top_level_modules(path)
    assert not imported & FORBIDDEN, f"{path.relative_to(ROOT)} imports {sorted(imported & FORBIDDEN)}"
    wrong = (imported & PROJECT_PACKAGES) - ALLOWED_PROJECT_IMPORTS[package]
    assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)} against the dependency direction"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom fastapi import FastAPI\nfrom kivy.app import App\n", encoding="utf-8")
    assert imported_top_level_modules(sample) >= {"fastapi", "kivy"}

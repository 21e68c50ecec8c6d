"""The engine's layering, checked in a fresh interpreter: the reference operations, the shape
arithmetic and the lesson helpers load no TensorFlow, Keras, PIL, Plotly or Streamlit, and
importing the training modules does not load TensorFlow until a function needs it."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "PIL", "plotly", "streamlit")


def _submodules(package: str) -> list[str]:
    """Every module of engine.<package>, found on disk (so a new module is checked too)."""
    path = Path(engine.__file__).parent / package
    return [f"engine.{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]


def _loaded_after_import(modules: list[str]) -> dict[str, bool]:
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"print(json.dumps({{h: h in sys.modules for h in {HEAVY!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", ["ops", "shapes", "lessons"])
def test_pure_packages_load_nothing_heavy(package):
    modules = _submodules(package)
    assert len(modules) >= 3, modules
    loaded = _loaded_after_import(modules)
    assert not any(loaded.values()), loaded


def test_learn_imports_tensorflow_only_inside_functions():
    loaded = _loaded_after_import(_submodules("learn") + _submodules("data"))
    assert not loaded["tensorflow"] and not loaded["keras"], loaded
    assert not loaded["streamlit"] and not loaded["plotly"], loaded


def test_the_engine_has_no_flat_modules_left_but_its_shared_ones():
    flat = sorted(m.name for m in pkgutil.iter_modules(engine.__path__) if not m.ispkg)
    assert flat == ["checks", "config", "errors"] or flat == ["config", "errors"], flat

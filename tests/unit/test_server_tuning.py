"""The server keeps Keras' session between script runs and skips the full collection after each
run (ui/server_tuning.py): a rerun must not throw away the kernels of a model training elsewhere."""
import tomllib
from pathlib import Path

import keras
from streamlit.runtime.scriptrunner import script_runner

from ui import server_tuning

ROOT = Path(__file__).resolve().parents[2]


def test_script_runs_no_longer_clear_the_keras_session(monkeypatch):
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    server_tuning.keep_keras_session()
    script_runner._clean_problem_modules()
    assert cleared == []


def test_streamlit_would_clear_it_without_the_change(monkeypatch):
    """The behaviour the change removes is still Streamlit's (if this fails, the change can go)."""
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    server_tuning.STREAMLIT_CLEAN_UP()
    assert cleared == [1]


def test_server_config_turns_off_the_collection_after_each_run():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_serve_script_applies_the_change():
    text = (ROOT / "scripts" / "serve.py").read_text()
    assert "keep_keras_session()" in text

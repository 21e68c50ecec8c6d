"""What ConvLab changes in Streamlit's script runner for a server where TensorFlow is loaded.

After every script run Streamlit calls `keras.backend.clear_session()` when Keras has been
imported (streamlit/runtime/scriptrunner/script_runner.py, `_clean_problem_modules`). That resets
Keras' global state, clears TensorFlow's kernel cache and runs a full garbage collection: about
260 ms with the GIL held on this project's machines, after *every* rerun of *every* session, and
while other sessions' models train in background threads (the TensorFlow kernels they use are
thrown away and rebuilt, so training slowed many times over on a busy page). ConvLab keeps each
model in its own session, never in Keras' global state, so nothing needs that clearing.

`keep_keras_session()` replaces the clean-up with one that skips Keras and still closes
matplotlib figures. `.streamlit/config.toml` also turns off the full garbage collection Streamlit
runs after each script (`runner.postScriptGC`, another ~260 ms with TensorFlow loaded); Python's
own generational collector still runs.
"""
from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner

STREAMLIT_CLEAN_UP = script_runner._clean_problem_modules  # Streamlit's own, kept for the tests


def _close_matplotlib_figures() -> None:
    """The part of Streamlit's clean-up that stays: figures left open by a script."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - a clean-up must not break the app
            pass


def keep_keras_session() -> None:
    """Stop Streamlit from clearing Keras' session after each script run (see module docstring)."""
    script_runner._clean_problem_modules = _close_matplotlib_figures

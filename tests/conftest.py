"""Shared test set-up: the repository root on sys.path and quiet TensorFlow logs."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# ui.feedback.guarded() raises unexpected errors instead of hiding them behind a notice
os.environ["CONVLAB_STRICT"] = "1"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the served app keeps Keras' session between script runs (scripts/serve.py); AppTests run the same way
from ui.server_tuning import keep_keras_session  # noqa: E402

keep_keras_session()

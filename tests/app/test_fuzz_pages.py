"""Fuzz every page through AppTest: random values for its sliders, number inputs, option widgets,
check boxes, text inputs and text cells (grid editors), random bytes and random pictures for its
uploaders, a few at a time, then a rerun. With CONVLAB_STRICT=1 (tests/conftest.py) guarded()
raises any unexpected error, so "no exception" means no traceback and no polite notice either.

Widgets are found in each run's element tree (they come and go with the choices), and values
stay inside what the browser can send: a slider's range and step, a number input's bounds, one of
the shown options. Buttons are never pressed (no training starts). Bounded: a few examples per
page (FUZZ_EXAMPLES), the AppTest is kept between examples like a student's session.
"""
from __future__ import annotations

import io
import math

import hypothesis.strategies as hs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from PIL import Image
from streamlit.testing.v1.element_tree import TESTING_KEY

from tests.app.helpers import assert_no_exception, open_page
from ui.registry import all_pages

FUZZ_EXAMPLES = 8
CHANGES = hs.integers(1, 4)  # widgets changed before one rerun
PAGES = [p.path for p in all_pages()]
KINDS = ("slider", "number_input", "radio", "selectbox", "select_slider", "checkbox", "toggle",
         "text_input", "text_area")
CELL_TEXT = hs.one_of(hs.sampled_from(["", " ", "abc", "1/0", "nan", "-inf", "1e309", "1/9", "−3", "0x10",
                                       "**2**", "$x$", "[a](b)", "<b>1</b>", "1,5", "٣"]),
                      hs.text(max_size=12), hs.floats(allow_nan=True).map(str))
UPLOAD_KINDS = ("png", "jpeg", "gif", "bmp", "webp", "random", "empty", "zip")
# every page, and its AppTest, once per module (opening costs a full app run)
_SESSIONS: dict[str, object] = {}


def session(path: str):
    if path not in _SESSIONS:
        _SESSIONS[path] = open_page(path, lang="en", timeout=60)
    return _SESSIONS[path]


def widgets(at) -> list:
    """The page's widgets a student can change (enabled, inside the main area or sidebar)."""
    found = []
    for kind in KINDS:
        found.extend(w for w in getattr(at, kind) if not getattr(w.proto, "disabled", False)
                     and w.key != "lang_switch")
    return found


def pick(draw, count: int) -> int:
    """An index below `count`. Every draw has the same shape whatever the page shows, so
    hypothesis sees one consistent strategy although the widgets change from run to run."""
    return draw(hs.integers(0, 2**16)) % max(count, 1)


def _steps(low: float, high: float, step: float) -> int:
    return max(0, min(10_000, int(math.floor((high - low) / step + 1e-9))))


def slider_value(draw, w):
    """One value on the slider's grid (a range slider gets a sorted pair)."""
    low, high, step = w.min, w.max, w.step or 1
    if not isinstance(low, (int, float)):
        return w.value  # dates and times: not used by ConvLab
    point = lambda: low + pick(draw, _steps(low, high, step) + 1) * step  # noqa: E731
    as_type = int if isinstance(w.value if not isinstance(w.value, (list, tuple)) else w.value[0], int) else float
    if isinstance(w.value, (list, tuple)):
        return tuple(sorted(as_type(min(high, point())) for _ in range(2)))
    return as_type(min(high, point()))


def number_value(draw, w):
    is_int = isinstance(w.value, int)
    low = w.min if w.min is not None else (w.value or 0) - 1000
    high = w.max if w.max is not None else (w.value or 0) + 1000
    fraction = draw(hs.integers(0, 2**16)) / 2**16
    if is_int:
        return int(low) + pick(draw, int(high) - int(low) + 1)
    return float(low) + fraction * (float(high) - float(low))


def choose_shown(w, index: int):
    """Select an option by its shown text, as the browser does (format_func is on the server)."""
    w.root.session_state[TESTING_KEY][w.id] = lambda shown: shown
    return w.set_value(w.options[index])


def change(draw, w) -> str:
    """Give widget `w` a random allowed value; a note of what was done."""
    if w.type == "slider":
        value = slider_value(draw, w)
    elif w.type == "number_input":
        value = number_value(draw, w)
    elif w.type in ("checkbox", "toggle"):
        value = draw(hs.booleans())
    elif w.type in ("text_input", "text_area"):
        value = draw(hs.text(max_size=40))
    elif w.options:
        index = pick(draw, len(w.options))
        choose_shown(w, index)
        return f"{w.type} {w.key} -> option {index}"
    else:
        return f"{w.type} {w.key}: no options"
    w.set_value(value)
    return f"{w.type} {w.key} -> {value!r}"


def text_grids(at) -> list:
    """Data editors whose cells are all text (the grid editors of kernels and inputs)."""
    found = []
    for editor in at.data_editor:
        frame = editor.value
        if editor.key and len(frame) and all(str(t) in ("string", "object") for t in frame.dtypes):
            found.append(editor)
    return found


def edit_cell(draw, at, editor) -> str:
    frame = editor.value
    row, col = pick(draw, len(frame)), pick(draw, len(frame.columns))
    text = draw(CELL_TEXT)
    at.session_state[editor.key] = {"edited_rows": {row: {str(frame.columns[col]): text}},
                                    "added_rows": [], "deleted_rows": []}
    return f"cell {editor.key}[{row}, {col}] -> {text!r}"


@hs.composite
def upload_bytes(draw, kind: str) -> bytes:
    """Random bytes, a random picture in a random format, or a zip of such pictures."""
    if kind == "random":
        return draw(hs.binary(min_size=1, max_size=2048))
    if kind == "empty":
        return b""
    if kind == "zip":
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            for i in range(draw(hs.integers(0, 5))):
                folder = draw(hs.sampled_from(["a", "b", "../x", "c d", "é", ""]))
                archive.writestr(f"{folder}/{i}.png", draw(upload_bytes("png")))
        return buf.getvalue()
    side = draw(hs.integers(1, 40)), draw(hs.integers(1, 40))
    mode = draw(hs.sampled_from(["L", "RGB", "RGBA", "P", "1"] if kind in ("png", "gif") else ["L", "RGB"]))
    seed = draw(hs.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 256, (side[1], side[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB").convert(mode)
    buf = io.BytesIO()
    image.save(buf, format={"jpeg": "JPEG"}.get(kind, kind.upper()))
    data = buf.getvalue()
    if draw(hs.booleans()):  # damage it
        cut = draw(hs.integers(0, len(data)))
        data = data[:cut] + draw(hs.binary(max_size=16))
    return data


def upload(draw, at) -> str | None:
    uploaders = [u for u in at.file_uploader if u.key and not getattr(u.proto, "disabled", False)]
    if not uploaders:
        return None
    target = uploaders[pick(draw, len(uploaders))]
    kind = draw(hs.sampled_from(UPLOAD_KINDS))
    data = draw(upload_bytes(kind))
    suffix = target.allowed_type[pick(draw, len(target.allowed_type))] if target.allowed_type else ".bin"
    target.set_value((f"fuzz{suffix}", data, "application/octet-stream"))  # the browser checks the type
    return f"upload {target.key} <- {kind} ({len(data)} bytes)"


def one_round(draw, at) -> None:
    """A few random changes, then one rerun; nothing may reach the page as an exception."""
    for _ in range(draw(CHANGES)):
        pool = widgets(at)
        action = draw(hs.sampled_from(["widget"] * 6 + ["cell", "upload"]))
        grids = text_grids(at) if action == "cell" else []
        if action == "cell" and grids:
            note(edit_cell(draw, at, grids[pick(draw, len(grids))]))
        elif action == "upload" and (done := upload(draw, at)):
            note(done)
        elif pool:
            note(change(draw, pool[pick(draw, len(pool))]))
    at.run()
    assert_no_exception(at)


@pytest.mark.parametrize("path", PAGES)
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=hs.data())
def test_random_widget_values_never_reach_the_page_as_an_exception(path, data):
    at = session(path)
    assert_no_exception(at)
    one_round(data.draw, at)


def test_found_by_fuzzing_two_filters_with_a_fixed_size_preset_explain_instead_of_crashing():
    """Filter 1's Sobel preset is always 3×3; with two filters and kernel size 5 the page used to
    crash in np.stack (Streamlit's redacted English error). Now: a translated message."""
    from ui.i18n import translate
    at = open_page("pages/conv.py", lang="ko")
    at.number_input(key="conv_filters").set_value(2).run()
    at.slider(key="conv_k").set_value(5).run()
    assert_no_exception(at)
    assert [e.value for e in at.error] == [translate("ko", "errors.filter_sizes_differ", sizes="3×3, 5×5")]

"""Hardening of everything a user can send: a .keras file with a Lambda layer (or a function from
another module) is refused with a translated message and its code never runs; loading writes
nothing outside a private temporary directory that is gone afterwards; zip bombs, unsafe paths
and picture bombs are refused from their headers; a user's own text shows as typed, never as
Markdown or HTML; the upload limits of the server, the widgets and the engine agree."""
import ast
import io
import json
import os
import re
import tempfile
import tomllib
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from engine import config
from engine.data import images, uploads
from engine.errors import EngineError
from engine.learn import models
from tests.unit.checks import raises_key
from tests.files import make_zip
from tests.files import png as _png
from ui.feedback import engine_error_text
from ui.i18n import translate
from ui.safe_text import markdown_text, plotly_text

ROOT = Path(__file__).resolve().parents[2]


def png(size=(6, 6), color=(10, 200, 30)) -> bytes:
    return _png(color, size)


# ------------------------------------------------------------------ malicious model files


def lambda_model_bytes(marker: Path) -> bytes:
    """A real .keras file whose Lambda layer writes `marker` whenever Keras rebuilds the model."""
    writes = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('pwned'), x)[1]")  # noqa: S307
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Flatten()(keras.layers.Lambda(writes)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    marker.unlink()  # building the model ran the lambda once
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evil.keras"
        model.save(path)
        buf.write(path.read_bytes())
    return buf.getvalue()


@pytest.fixture(scope="module")
def plain_model_bytes():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    return models.save_bytes(model, ("cats", "dogs"))


def test_the_lambda_file_really_runs_code_when_loaded_unsafely(tmp_path):
    """The control: without safe mode, Keras runs the lambda and the marker appears."""
    marker = tmp_path / "marker.txt"
    data = lambda_model_bytes(marker)
    path = tmp_path / "evil.keras"
    path.write_bytes(data)
    keras.models.load_model(path, compile=False, safe_mode=False)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_lambda_model_is_refused_with_a_translated_message_and_runs_nothing(tmp_path, lang):
    marker = tmp_path / "marker.txt"
    err = raises_key("model_has_code", models.load_bytes, lambda_model_bytes(marker))
    assert not marker.exists()
    text = translate(lang, "errors.model_has_code", **err.params)
    assert "Lambda" in text and text != "errors.model_has_code"


def test_keras_safe_mode_is_the_second_wall(tmp_path, monkeypatch):
    """Even with ConvLab's own scan switched off, Keras' safe mode refuses the lambda."""
    marker = tmp_path / "marker.txt"
    data = lambda_model_bytes(marker)
    monkeypatch.setattr(models, "refuse_code", lambda node, depth=0: None)
    raises_key("model_file_unreadable", models.load_bytes, data)
    assert not marker.exists()


def with_config(data: bytes, change) -> bytes:
    """The .keras file with its config.json changed by `change(config)`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "config.json":
                cfg = json.loads(content)
                change(cfg)
                content = json.dumps(cfg).encode()
            out.writestr(info.filename, content)
    return buf.getvalue()


@pytest.mark.parametrize("module,name,arg", [
    ("os", "system", "touch {marker}"),
    ("builtins", "exec", "open({marker!r}, 'w')"),
    ("subprocess", "run", "touch {marker}"),
    ("keras.config", "enable_unsafe_deserialization", None),
    ("keras.layers", "TFSMLayer", "{marker}"),
])
def test_functions_from_other_modules_are_refused(plain_model_bytes, tmp_path, module, name, arg):
    marker = tmp_path / "marker.txt"
    payload = {"module": module, "class_name": name, "registered_name": None,
               "config": arg.format(marker=str(marker)) if arg else {}}

    def inject(cfg):
        cfg["config"]["layers"][-1]["config"]["kernel_initializer"] = payload

    with pytest.raises(EngineError) as err:
        models.load_bytes(with_config(plain_model_bytes, inject))
    assert err.value.key in ("model_has_code", "model_file_unreadable")
    assert not marker.exists()
    from keras.src.saving import serialization_lib
    assert serialization_lib.in_safe_mode() is not False  # no file can switch safe mode off


def test_our_own_models_pass_the_code_scan(plain_model_bytes):
    loaded = models.load_bytes(plain_model_bytes)
    assert loaded.class_names == ("cats", "dogs") and loaded.input_shape == (8, 8, 1)


def test_huge_or_nested_configs_are_refused(plain_model_bytes):
    deep: object = 1
    for _ in range(300):
        deep = [deep]
    raises_key("model_file_unreadable", models.load_bytes,
               with_config(plain_model_bytes, lambda cfg: cfg.update(extra=deep)))
    pad = "x" * (models.MAX_CONFIG_BYTES + 1)
    raises_key("model_file_unreadable", models.load_bytes,
               with_config(plain_model_bytes, lambda cfg: cfg.update(extra=pad)))


def test_stored_class_names_are_cut_to_a_sane_length(plain_model_bytes):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain_model_bytes)) as source, zipfile.ZipFile(buf, "w") as out:
        for info in source.infolist():
            if info.filename != models.CLASS_NAMES_FILE:
                out.writestr(info.filename, source.read(info.filename))
        out.writestr(models.CLASS_NAMES_FILE, json.dumps({"class_names": ["a" * 10_000, "b"]}))
    loaded = models.load_bytes(buf.getvalue())
    assert [len(n) for n in loaded.class_names] == [models.MAX_CLASS_NAME, 1]


# ------------------------------------------------------------------ nothing left on disk


@pytest.fixture
def watched_tmp(tmp_path, monkeypatch):
    """Python's temporary folder pointed at an empty folder we can inspect; Keras' own folder
    helper is counted (it would unpack a whole archive into the system's temporary folder)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    from keras.src.saving import saving_lib
    calls = []
    original = saving_lib.get_temp_dir
    monkeypatch.setattr(saving_lib, "get_temp_dir", lambda: calls.append(1) or original())
    return root, calls


def test_loading_leaves_nothing_behind_and_keras_unpacks_nothing(plain_model_bytes, watched_tmp, tmp_path):
    root, calls = watched_tmp
    with zipfile.ZipFile(io.BytesIO(plain_model_bytes)) as archive:
        assert len(archive.namelist()) > 3  # Keras would unpack such a file to disk
    bad_files = (b"junk", lambda_model_bytes(tmp_path / "m.txt"),
                 with_config(plain_model_bytes, lambda cfg: cfg["config"].update(layers=[])))
    calls.clear()  # saving the lambda model above used Keras' folder helper
    models.load_bytes(plain_model_bytes)
    for bad in bad_files:
        with pytest.raises(EngineError):
            models.load_bytes(bad)
    assert list(root.iterdir()) == [] and calls == []


def test_saving_leaves_nothing_behind(watched_tmp):
    root, _ = watched_tmp
    inputs = keras.Input((6, 6, 1))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    assert models.save_bytes(model, ("a", "b"))
    assert list(root.iterdir()) == []


def test_uploads_and_images_never_touch_the_disk(watched_tmp, monkeypatch):
    root, _ = watched_tmp
    import builtins
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, mode="r", *a, **k: (opened.append((f, mode)), real_open(f, mode, *a, **k))[1])
    zipped = make_zip({f"{c}/{i}.png": png() for c in ("a", "b") for i in range(3)})
    uploads.read_class_folders(zipped, size=8)
    images.decode_upload(png())
    assert [o for o in opened if any(ch in o[1] for ch in "wax+")] == [] and list(root.iterdir()) == []


# ------------------------------------------------------------------ archives and pictures


def test_zip_bomb_is_refused_from_its_headers():
    bomb = make_zip({"a/1.png": png(), "b/zeros.png": b"\0" * (8 * 2**20)})
    assert len(bomb) < 100_000
    raises_key("archive_suspicious_ratio", uploads.read_class_folders, bomb)


def test_many_small_members_cannot_add_up_past_the_unpacked_limit(monkeypatch):
    monkeypatch.setattr(config, "MAX_UNZIPPED_BYTES", 2**20)
    members = {f"c{i % 2}/{i}.bin": os.urandom(60_000) for i in range(20)}  # each under the ratio check
    raises_key("archive_unzipped_too_large", uploads.read_class_folders, make_zip(members))


def test_a_member_never_yields_more_than_its_declared_size():
    """A header that lies about the size cannot make a reader unpack more than it claims."""
    data = bytearray(make_zip({"a/big.bin": b"A" * 50_000}))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    info.file_size = 100  # a lying header
    with pytest.raises(EngineError):
        assert len(uploads.read_member(archive, info)) <= 100


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "C:\\Windows\\win.ini", "a/../../b.png"])
def test_csv_names_only_look_inside_the_zip(name):
    """A CSV cell is only ever matched against the zip's own members, never opened as a path."""
    rows = "\n".join(f"{n},c{i % 2}" for i, n in enumerate([name, name, "x.png", "y.png"]))
    zipped = make_zip({"x.png": png(), "y.png": png()})
    data = uploads.read_csv_and_zip(f"file,label\n{rows}\n".encode(), zipped, "file", "label", size=8)
    assert len(data.labels) == 2 and data.missing_count == 2 and data.missing == (name, name)


def test_picture_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, format="PNG")  # 400 M pixels, a few kB
    assert len(buf.getvalue()) < 200_000
    raises_key("image_too_large", images.decode_upload, buf.getvalue())


def test_picture_bomb_inside_a_zip_is_skipped():
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, format="PNG")
    members = {"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/bomb.png": buf.getvalue()}
    data = uploads.read_class_folders(make_zip(members), size=8)
    assert data.skipped_corrupt == 1 and len(data.labels) == 3


# ------------------------------------------------------------------ user text shown as typed


NASTY = ["**bold**", "[click](https://evil.example)", "![x](https://evil.example/t.png)", "$x^2$",
         ":red[alarm]", "<img src=x onerror=alert(1)>", "`code`", "# heading\n- item", "www.evil.example",
         "a_b_c", "1. list", "> quote", "| a | b |", "~~gone~~", "\\*"]


@pytest.mark.parametrize("text", NASTY)
def test_markdown_text_leaves_no_active_markup(text):
    escaped = markdown_text(text)
    assert "\n" not in escaped
    unescaped = re.sub(r"\\(.)", "", escaped)  # what is left once every escaped character is removed
    assert not re.search(r"[*_\[\]()<>`$:#|~!\\]", unescaped)
    assert re.sub(r"\\(.)", r"\1", escaped) == text.replace("\n", " ")  # reads back as typed


def test_plain_names_are_unchanged():
    for name in ("cats", "고양이", "class 3", "Hund"):
        assert markdown_text(name) == name and plotly_text(name) == name


def test_plotly_text_keeps_no_tag():
    assert "<" not in plotly_text("<a href='https://evil.example'>x</a><br><b>y</b>")


def test_error_messages_escape_user_text_only():
    err = EngineError("one_class_only", name="[x](https://evil.example)")
    assert "\\[x\\]\\(https\\:" in translate("en", "errors.one_class_only", name=markdown_text(err.params["name"]))
    from unittest import mock
    with mock.patch("ui.feedback.t", lambda key, **p: translate("en", key, **p)):
        shown = engine_error_text(err)
        assert "[x](" not in shown and "\\[x\\]" in shown
        limit = engine_error_text(EngineError("upload_too_large", size_mb="1.5", limit_mb="1"))
        assert "1.5 MB" in limit  # numbers stay as they are


def _literal_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to text made only of string literals and earlier such names."""
    fixed: set[str] = set()

    def is_literal(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.Name):
            return node.id in fixed
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return is_literal(node.left) and is_literal(node.right)
        if isinstance(node, ast.JoinedStr):
            return all(is_literal(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values)
        return False

    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and is_literal(stmt.value):
            fixed.add(stmt.targets[0].id)
    return fixed


def test_pages_never_allow_html():
    """No Markdown with HTML allowed; st.html only with the app's own fixed style sheets (module
    constants built from string literals alone, so no user text can reach them)."""
    for path in list((ROOT / "pages").glob("*.py")) + list((ROOT / "ui").glob("*.py")) + [ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fixed = _literal_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            assert not any(k.arg == "unsafe_allow_html" for k in node.keywords), path.name
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "html":
                arg = node.args[0] if node.args else None
                assert isinstance(arg, ast.Name) and arg.id in fixed, (path.name, ast.unparse(node))


# ------------------------------------------------------------------ upload limits agree


def test_server_widget_and_engine_limits_agree():
    """The server refuses anything over maxUploadSize with an English 'File too large', whatever
    the widget says: so it must be at least every widget's own limit, which in turn lets a file a
    bit over the engine's limit through to get the translated message."""
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert images.MAX_UPLOAD_BYTES == config.MAX_IMAGE_BYTES
    for limit in (config.MAX_ZIP_BYTES, config.MAX_CSV_BYTES, config.MAX_MODEL_BYTES, config.MAX_IMAGE_BYTES):
        assert limit < config.widget_limit_mb(limit) * config.MB <= server["maxUploadSize"] * config.MB


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_limit_hint_is_translated(lang):
    text = translate(lang, "app.upload_limit", limit_mb="20")
    assert "20 MB" in text and text != "app.upload_limit"


def test_oversized_uploads_are_refused_before_reading():
    raises_key("upload_too_large", uploads.read_class_folders, b"PK" + b"\0" * (config.MAX_ZIP_BYTES + 1))
    raises_key("upload_too_large", uploads.read_table, b"a,b\n" * (config.MAX_CSV_BYTES // 4 + 1))
    big = np.zeros(config.MAX_IMAGE_BYTES + 1, np.uint8).tobytes()
    assert raises_key("bad_image", images.decode_upload, big).params["reason"] == "file_too_large"

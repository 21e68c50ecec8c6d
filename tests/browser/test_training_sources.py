"""Browser: the training studio trains the tiny model end to end on the two other data sources,
in Chromium. MNIST (the embedded subset, at the smallest sizes the page allows) and a zip of
class folders (flow_from_directory layout) built here with Pillow and uploaded through the page's
file input. The results are read back from the drawn figures: the confusion matrix is K x K over
the right class names and adds up to the test images, the feature maps have the input's shapes."""
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from engine.data import datasets
from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, click_text, open_app, runs,
                                   wait_for_rerun, wait_idle)
from ui.i18n import translate

pytestmark = pytest.mark.browser
LANG = "en"
TRAIN_TIMEOUT = 180_000  # the first run on a fresh server also imports TensorFlow
CLASSES = ("dots", "horizontal", "vertical")  # sorted, as Keras' class_indices orders them
PER_CLASS = 12
SIDE = 20

# The first heatmap (or bar) trace of a drawn Plotly figure, as plain lists. Plotly keeps the
# figure on its div; _fullData holds the decoded arrays (numpy arrives as base64 typed arrays).
TRACE_JS = """el => {
  const trace = (el._fullData && el._fullData.length ? el._fullData : el.data)[0];
  const rows = Array.from(trace.z || [], row => Array.from(row, Number));
  return {x: Array.from(trace.x || [], String), y: Array.from(trace.y || [], String), z: rows};
}"""


def tr(key, **kwargs):
    return translate(LANG, key, **kwargs)


def open_studio(page, app_url):
    """Home first, then the sidebar link, as a student would (see test_training_page.py)."""
    open_app(page, app_url, "", LANG)
    page.get_by_role("link", name=tr("train.title")).first.click()
    expect(page.get_by_role("heading", name=tr("train.heading"))).to_be_visible(timeout=30_000)
    wait_idle(page)


def slider_to_min(page, label, minimum):
    """Move the slider labelled `label` to its minimum with the Home key and wait for the rerun."""
    slider = page.get_by_role("slider", name=label)
    before = runs(page)
    slider.press("Home")
    wait_for_rerun(page, before)
    expect(slider).to_have_value(str(minimum))


def metric_value(page, label):
    """The value of the metric labelled exactly `label` ('Test' is also part of 'Test images')."""
    name = page.locator('[data-testid="stMetricLabel"]').filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator('[data-testid="stMetric"]').filter(has=name).locator('[data-testid="stMetricValue"]')


def metric_int(page, label) -> int:
    return int(metric_value(page, label).first.inner_text().replace(",", "").strip())


def figure(page, title):
    """The one drawn Plotly figure whose text shows `title`."""
    plots = page.locator(".js-plotly-plot").filter(has_text=title)
    expect(plots).to_have_count(1)
    expect(plots.first).to_be_visible()
    return plots.first


def train_and_wait(page, epochs):
    page.get_by_role("button", name=tr("train.start")).click()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible(timeout=30_000)
    expect(metric_value(page, tr("train.test_accuracy"))).to_have_text(re.compile(r"^\d+\.\d%$"),
                                                                       timeout=TRAIN_TIMEOUT)
    done = tr("train.status.completed", epochs=epochs, seconds="").split(" in ")[0]
    expect(page.locator('[data-testid="stProgress"]')).to_contain_text(done)
    wait_idle(page)


def check_results(page, names, n_test, input_side):
    """Scores, confusion matrix, per-class bars and the feature maps of a model trained on
    `names` with `n_test` test images of input_side x input_side x 1 pixels."""
    k = len(names)
    expect(metric_value(page, tr("train.test_images"))).to_have_text(f"{n_test:,}")
    accuracy = float(metric_value(page, tr("train.test_accuracy")).inner_text().rstrip("%")) / 100
    mistakes = metric_int(page, tr("train.mistakes"))

    confusion = figure(page, tr("train.confusion")).evaluate(TRACE_JS)
    assert confusion["x"] == list(names) and confusion["y"] == list(names)
    matrix = np.array(confusion["z"])
    assert matrix.shape == (k, k), matrix
    assert matrix.sum() == n_test, matrix  # every test image counted once
    assert matrix.sum() - np.trace(matrix) == mistakes, (matrix, mistakes)
    assert abs(np.trace(matrix) / n_test - accuracy) <= 0.0006, (matrix, accuracy)
    assert figure(page, tr("train.per_class")).evaluate(TRACE_JS)["x"] == list(names)

    origin = tr("train.origin.trained", status="", epochs=0, classes=", ".join(names)).split("Classes: ")[1]
    expect(page.get_by_text(origin, exact=False).first).to_be_visible()
    expect(page.get_by_text(tr("train.input_image", h=input_side, w=input_side), exact=True).first).to_be_visible()
    assert figure(page, tr("train.softmax")).evaluate(TRACE_JS)["x"] == list(names)
    conv = input_side - 2  # the tiny preset: Conv2D(8, 3) with valid padding, then 2 x 2 pooling
    maps = figure(page, tr("train.map_title", name="conv2d", kind="Conv2D", h=conv, w=conv, c=8))
    tiles = np.array(maps.evaluate(TRACE_JS)["z"], dtype=float)
    assert tiles.size >= 8 * conv * conv and np.isfinite(tiles).any(), tiles.shape
    pooled = page.locator(".js-plotly-plot").filter(has_text=f": {conv // 2}×{conv // 2}, 8 channels")
    expect(pooled).to_have_count(1)
    assert_no_error_elements(page)


def tall_screenshot(page, name, height=6000):
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(1000)
    screenshot(page, name)


# ------------------------------------------------------------------ MNIST


def test_train_tiny_model_on_mnist_subset(page, app_url):
    open_studio(page, app_url)
    click_text(page, tr("train.sources.mnist"))
    if not Path(datasets.default_mnist_path()).is_file():  # the server reads the same path
        subset = tr("train.mnist_subset", train=4000, test=1000, reason=tr("train.mnist_notes.no_cache"))
        expect(page.get_by_text(subset, exact=True)).to_be_visible(timeout=30_000)
    slider_to_min(page, tr("train.mnist_test_count"), 100)
    slider_to_min(page, tr("train.mnist_train_count"), 200)
    slider_to_min(page, tr("train.epochs"), 1)
    expect(page.get_by_text(tr("train.own_test_set", n=100), exact=True)).to_be_visible()
    assert metric_int(page, tr("train.n_train")) + metric_int(page, tr("train.n_val")) == 200
    assert metric_int(page, tr("train.n_test")) == 100
    expect(page.get_by_text(tr("train.summary_heading", shape="(28, 28, 1)", k=10).replace("**", ""))).to_be_visible()
    assert_no_error_elements(page)

    train_and_wait(page, epochs=1)
    check_results(page, tuple(str(d) for d in range(10)), n_test=100, input_side=28)
    tall_screenshot(page, "training-mnist-done-en")


# ------------------------------------------------------------------ a zip of class folders


def pattern(kind: str, rng: np.random.Generator) -> Image.Image:
    """A small gray picture: a grid of dots, horizontal stripes or vertical stripes, at a random
    offset and brightness, so the three classes are easy to tell apart."""
    pixels = np.zeros((SIDE, SIDE), dtype=np.uint8)
    offset, bright = int(rng.integers(0, 4)), int(rng.integers(180, 256))
    if kind == "dots":
        pixels[offset::4, offset::4] = bright
    elif kind == "horizontal":
        pixels[offset::4, :] = bright
        pixels[offset + 1::4, :] = bright
    else:
        pixels[:, offset::4] = bright
        pixels[:, offset + 1::4] = bright
    return Image.fromarray(pixels, mode="L")


def class_folders_zip(tmp_path: Path) -> Path:
    """patterns/<class>/<i>.png for each class (a wrapper folder, as many zip tools make), plus
    a read-me outside the class folders that the page must skip."""
    rng = np.random.default_rng(7)
    path = tmp_path / "patterns.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in CLASSES:
            for i in range(PER_CLASS):
                buffer = io.BytesIO()
                pattern(kind, rng).save(buffer, format="PNG")
                archive.writestr(f"patterns/{kind}/{i:02d}.png", buffer.getvalue())
        archive.writestr("patterns/README.txt", "three classes of patterns")
    return path


def test_train_tiny_model_on_uploaded_class_folders(page, app_url, tmp_path):
    zip_path = class_folders_zip(tmp_path)
    open_studio(page, app_url)
    click_text(page, tr("train.sources.folders"))
    expect(page.get_by_text(tr("train.folders_hint"), exact=True)).to_be_visible()
    slider_to_min(page, tr("train.target_size"), 16)  # pictures resized to 16 x 16

    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=tr("train.zip_upload"))
    expect(uploader).to_have_count(1)
    before = runs(page)
    uploader.locator('input[type="file"]').set_input_files(str(zip_path))
    wait_for_rerun(page, before)
    total = len(CLASSES) * PER_CLASS
    expect(page.get_by_text(tr("train.upload_caption", n=total), exact=True)).to_be_visible(timeout=30_000)
    indices = "class_indices = " + repr({name: i for i, name in enumerate(CLASSES)})
    expect(page.locator('[data-testid="stCode"]').filter(has_text=indices)).to_have_count(1)
    expect(page.get_by_text(tr("train.skipped_other", n=1), exact=False).first).to_be_visible()
    n_test = metric_int(page, tr("train.n_test"))
    assert 0 < n_test < total
    assert metric_int(page, tr("train.n_train")) + metric_int(page, tr("train.n_val")) + n_test == total
    expect(page.get_by_text(tr("train.summary_heading", shape="(16, 16, 1)", k=3).replace("**", ""))).to_be_visible()
    assert_no_error_elements(page)

    train_and_wait(page, epochs=5)
    check_results(page, CLASSES, n_test=n_test, input_side=16)
    tall_screenshot(page, "training-folders-done-en")

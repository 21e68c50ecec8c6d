"""Browser latency of every lesson page's main controls, against a bare Streamlit rerun.

Starts ConvLab and a bare Streamlit app (one slider, one text) and drives both in one Chromium,
interleaved: each change of a page's control is followed by a change of the bare slider. A sample
runs from the input event (key press or mouse press, stamped in the page) to the last DOM change of
the rerun it caused (the run tracker of tests/browser/helpers.py: the server reported the run
finished and nothing changed for 150 ms after that last change). It also times each page's first
load (navigation start to the last DOM change of its first drawn run) against the bare app's.

Prints one line per page and control, one per first load, and last, exactly:
`pages update / bare rerun: worst W (PAGE CONTROL), median M over K controls`. Goal: W <= 1.5.

    python -m benchmarks.ui_pages [--changes 10] [--pages conv,pool] [--loads 3]
"""
from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.browser import chromium, streamlit_server
from tests.browser.helpers import goto, open_app, runs, wait_for_rerun, wait_idle
from ui.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1440, "height": 1000}

# Stamps the input event that starts a sample, in the page's own clock (performance.now()).
INPUT_STAMP_JS = """(() => {
  const stamp = () => { window.__convlabInputAt = performance.now(); };
  window.addEventListener('keydown', stamp, true);
  window.addEventListener('mousedown', stamp, true);
})()"""


def en(key: str, **params) -> str:
    return translate("en", key, **params)


@dataclass
class Control:
    """One control of a page: `act(page, i)` makes the i-th change (and must cause one rerun)."""

    name: str
    act: Callable
    setup: Callable | None = None  # run once before the control's samples (e.g. pick a source)


@dataclass
class PageSpec:
    """A lesson page (URL path) and the controls a student moves most there."""

    name: str
    path: str
    controls: list[Control] = field(default_factory=list)


# ----------------------------------------------------------------------------- kinds of change


def slider(label: str) -> Callable:
    """Alternately one step right and one step left on the slider labelled `label`."""
    return lambda pg, i: pg.get_by_role("slider", name=label).press("ArrowRight" if i % 2 == 0 else "ArrowLeft")


def options(kind: str, label: str, labels: list[str]) -> Callable:
    """Cycle through `labels` of a radio group or selectbox (the first is chosen at the start)."""
    def act(pg, i):
        choice = labels[(i + 1) % len(labels)]
        if kind == "radio":
            group = pg.get_by_role("radiogroup", name=label)
            group.get_by_text(choice, exact=True).click()
        else:
            box = pg.get_by_role("combobox", name=label)
            box.click()
            box.fill(choice)
            pg.get_by_role("option", name=choice, exact=True).click()
    return act


def number(label: str, values: list[int]) -> Callable:
    """Type the next of `values` into the number input labelled `label` and press Enter."""
    def act(pg, i):
        box = pg.get_by_role("spinbutton", name=label)
        box.fill(str(values[(i + 1) % len(values)]))
        box.press("Enter")
    return act


def toggle(label: str) -> Callable:
    return lambda pg, i: pg.get_by_role("checkbox", name=label).click(force=True)


def tabs(labels: list[str]) -> Callable:
    return lambda pg, i: pg.get_by_role("tab", name=labels[(i + 1) % len(labels)], exact=True).click()


def grid_cell(nth: int, row: int, col: int, values: list[str]) -> Callable:
    """Type the next of `values` into cell (row, col) of the nth grid editor on the page."""
    def act(pg, i):
        grid = pg.locator('[data-testid="stDataFrame"]').nth(nth)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        # glide-data-grid: a 35 px header row, 35 px rows, the row-index column, 44 px cells
        x = box["x"] + 44 * (col + 1) + 22
        y = box["y"] + 35 * (row + 1) + 17
        pg.mouse.dblclick(x, y)  # opens the cell's editor
        pg.wait_for_timeout(300)  # (the sample's clock starts at the last key press, Enter)
        pg.keyboard.type(values[i % len(values)])
        pg.wait_for_timeout(100)
        pg.keyboard.press("Enter")
    return act


def choose_once(kind: str, label: str, choice: str) -> Callable:
    """A setup step: pick `choice` and wait for its rerun."""
    def setup(pg):
        before = runs(pg)
        options(kind, label, [choice, choice])(pg, 0)
        wait_for_rerun(pg, before)
    return setup


# ----------------------------------------------------------------------------- the pages


def page_specs() -> list[PageSpec]:
    return [
        PageSpec("conv", "convolution", [
            Control("working size", slider(en("conv.working_size"))),
            Control("photo", options("select", en("conv.photo"), [en("photos.cat"), en("photos.camera")])),
            Control("stride", slider(en("conv.stride_h"))),
            Control("kernel size", slider(en("conv.kernel_size"))),
            Control("padding", options("radio", en("conv.padding"),
                                       [en("conv.paddings.valid"), en("conv.paddings.same")])),
            Control("grid cell", grid_cell(0, 1, 1, ["17", "18"]),
                    setup=lambda pg: _click_radio(pg, en("conv.source"), en("conv.sources.grid"))),
        ]),
        PageSpec("pool", "pooling-layers", [
            Control("window size", slider(en("pool.pool_size"))),
            Control("stride", slider(en("pool.stride"))),
            Control("mode", options("radio", en("pool.mode"), [en("pool.modes.max"), en("pool.modes.avg")])),
            Control("grid cell", grid_cell(0, 0, 0, ["17", "18"])),
            Control("shift", slider(en("pool.shift_cols"))),
        ]),
        PageSpec("forward", "forward-pass", [
            Control("row", slider(en("forward.row"))),
            Control("column", slider(en("forward.col"))),
            Control("image", options("radio", en("forward.source"),
                                     [en("forward.sources.digit"), en("forward.sources.shape")])),
        ]),
        PageSpec("softmax", "softmax-and-dropout", [
            Control("dropout rate", slider(en("softmax.rate"))),
            Control("dropout seed", number(en("softmax.seed"), [0, 1])),
            Control("phase", options("radio", en("softmax.phase"),
                                     [en("softmax.phases.training"), en("softmax.phases.inference")])),
            Control("logit cell", grid_cell(0, 0, 0, ["3.5", "1.5"])),
        ]),
        PageSpec("harris", "hand-made-features", [
            Control("sigma", slider(en("harris.sigma"))),
            Control("k", slider(en("harris.k"))),
            Control("threshold", slider(en("harris.threshold"))),
        ]),
        PageSpec("batchnorm", "batch-norm", [
            Control("picture size", slider(en("bn.size"))),
            Control("gamma", slider(en("bn.gamma"))),
            Control("batch size", slider(en("bn.batch_size"))),
        ]),
        PageSpec("optimizers", "optimizer-lab", [
            Control("start x", slider(en("opt.start_x"))),
            Control("start y", slider(en("opt.start_y"))),
            Control("learning rate", slider(en("opt.lr"))),
            Control("steps", slider(en("opt.steps"))),
        ]),
        PageSpec("backprop", "how-cnns-learn", [
            Control("kernel column", slider(en("bp.tap_col"))),
            Control("dense unit", slider(en("bp.dense_unit"))),
            Control("optimizer", options("radio", en("bp.optimizer"), [en("bp.optimizers.sgd"), en("bp.optimizers.adam")])),
            Control("learning rate", number(en("bp.lr"), [0.01, 0.02])),
            Control("steps", slider(en("bp.steps"))),
            Control("checked entry", slider(en("bp.check_index"))),
        ]),
        PageSpec("training", "training-studio", [
            Control("image size", slider(en("train.shape_size"))),
            Control("images per class", slider(en("train.shape_count"))),
            Control("epochs", slider(en("train.epochs"))),
        ]),
        PageSpec("architectures", "cnn-architectures", [
            Control("input size", slider(en("arch.size"))),
            Control("filter width", slider(en("arch.width"))),
            Control("network", options("select", en("arch.model"),
                                       [en("arch.models.alexnet"), en("arch.models.vgg16")])),
        ]),
        PageSpec("transfer", "transfer-learning", [
            Control("labelled per class", slider(en("transfer.per_class"))),
            Control("unfreeze", slider(en("transfer.unfreeze"))),
            Control("epochs", slider(en("transfer.epochs"))),
        ]),
    ]


def _click_radio(pg, label: str, choice: str) -> None:
    before = runs(pg)
    pg.get_by_role("radiogroup", name=label).get_by_text(choice, exact=True).click()
    wait_for_rerun(pg, before)


# ----------------------------------------------------------------------------- measuring


def track(pg) -> None:
    pg.add_init_script(INPUT_STAMP_JS)


def time_change(pg, act: Callable, i: int) -> float:
    """ms from the input event of the i-th change to the last DOM change of its rerun."""
    before = runs(pg)
    pg.evaluate("() => { window.__convlabInputAt = undefined; }")
    act(pg, i)
    try:
        wait_for_rerun(pg, before, timeout=10_000)
    except PlaywrightTimeout:  # the browser lost the input (a grid cell clicked while it redrew): again
        print("  (input lost, made again)", flush=True)
        act(pg, i)
        wait_for_rerun(pg, before)
    return pg.evaluate("() => window.__convlabLastChange - window.__convlabInputAt")


BARE_CHANGES = [-1]  # the bare slider alternates right/left over the whole run, never stuck at an end


def bare_change(pg) -> float:
    BARE_CHANGES[0] += 1
    return time_change(pg, slider("value"), BARE_CHANGES[0])


def first_load(browser, url: str) -> float:
    """ms from navigation start to the last DOM change of the first drawn run, in a new context."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    goto(pg, url)
    wait_idle(pg)
    elapsed = pg.evaluate("() => window.__convlabLastChange")
    context.close()
    return elapsed


def measure_controls(browser, app_url: str, bare, spec: PageSpec, changes: int) -> list[tuple]:
    """(page, control, page median ms, bare median ms) for each control of `spec`."""
    pg = browser.new_page(viewport=VIEWPORT)
    track(pg)
    open_app(pg, app_url, spec.path, "en")
    rows = []
    for control in spec.controls:
        if control.setup:
            control.setup(pg)
        page_ms, bare_ms = [], []
        for i in range(changes + 1):  # the first change of each control is a warm-up
            p, b = time_change(pg, control.act, i), bare_change(bare)
            if i:
                page_ms.append(p)
                bare_ms.append(b)
        rows.append((spec.name, control.name, statistics.median(page_ms), statistics.median(bare_ms)))
        print(f"{spec.name:13s} {control.name:20s} page {rows[-1][2]:6.0f} ms  bare {rows[-1][3]:5.0f} ms  "
              f"ratio {rows[-1][2] / rows[-1][3]:.2f}", flush=True)
    pg.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--loads", type=int, default=3, help="first loads per page (median)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    specs = [s for s in page_specs() if not args.pages or s.name in args.pages.split(",")]
    rows = []
    with streamlit_server(ROOT / "app.py") as app_url, \
            streamlit_server(ROOT / "benchmarks" / "bare_app.py") as bare_url, chromium() as browser:
        bare = browser.new_page(viewport=VIEWPORT)
        track(bare)
        goto(bare, bare_url)
        wait_idle(bare)
        for spec in specs:
            rows += measure_controls(browser, app_url, bare, spec, args.changes)
        for spec in specs:
            loads = [(first_load(browser, f"{app_url}/{spec.path}?lang=en"), first_load(browser, bare_url))
                     for _ in range(args.loads)]
            p, b = statistics.median(x for x, _ in loads), statistics.median(y for _, y in loads)
            print(f"first load    {spec.name:20s} page {p:6.0f} ms  bare {b:5.0f} ms  ratio {p / b:.2f}",
                  flush=True)
    ratios = [(p / b, name, control) for name, control, p, b in rows]
    worst = max(ratios)
    print(f"pages update / bare rerun: worst {worst[0]:.2f} ({worst[1]} {worst[2]}), "
          f"median {statistics.median(r for r, *_ in ratios):.2f} over {len(ratios)} controls")


if __name__ == "__main__":
    main()

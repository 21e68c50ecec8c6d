"""Plotly figures that update in place: `live_chart(fig, key, where)`.

Streamlit gives a `st.plotly_chart` whose figure changed a new element identity, so the browser
throws the chart away and builds it again from nothing (a new React element, `Plotly.newPlot`);
on a page with several charts that rebuild took most of the time of a slider move. This keyed
component (st.components.v2, our own JavaScript below) keeps one Plotly graph per key and hands
it each new figure with `Plotly.react`, which changes only what differs: lines, bars, contours,
heat maps and animation frames alike.

plotly.js is the copy inside the installed plotly package: `ensure_plotly_js()` puts it in the
app's `static/` folder, which Streamlit serves from the app's own address (`enableStaticServing`
in .streamlit/config.toml), so nothing is fetched from another host. The look follows Streamlit's
own chart theme (fonts, colours, margins), since Streamlit's template is not applied here.
"""
from __future__ import annotations

import base64
import os
from contextlib import nullcontext
from functools import cache
import shutil
import tempfile
from pathlib import Path

import numpy as np
import plotly
import plotly.io as pio
from _plotly_utils.utils import is_homogeneous_array, to_typed_array_spec
from plotly.basedatatypes import BaseFigure
import streamlit as st

NAME = "convlab_live_chart"
APP_DIR = Path(__file__).resolve().parents[1]
STATIC_DIR = APP_DIR / "static"
PLOTLY_JS = "plotly.min.js"
SOURCE_JS = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS

CSS = """
.convlab-live-chart { width: 100%; }
.convlab-live-chart .modebar-container { opacity: 0; transition: opacity .2s; }
.convlab-live-chart:hover .modebar-container { opacity: 1; }
"""

JS = """
const THEME = {  // Streamlit's own chart theme (light), which st.plotly_chart would apply
  font: { family: '"Source Sans", sans-serif', size: 12, color: '#31333F' },
  title: { font: { size: 16, color: '#31333F' }, xanchor: 'left', x: 0 },
  paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)',
  colorway: ['#0068c9', '#83c9ff', '#ff2b2b', '#ffabab', '#29b09d', '#7defa1', '#ff8700', '#ffd16a',
             '#6d3fc0', '#d5dae5'],
  xaxis: { gridcolor: '#e6eaf1', zerolinecolor: '#e6eaf1', showgrid: false, zeroline: false, automargin: true },
  yaxis: { gridcolor: '#e6eaf1', zerolinecolor: '#e6eaf1', automargin: true },
  hoverlabel: { bgcolor: '#ffffff', bordercolor: '#d5dae5', font: { color: '#31333F', size: 12 } },
  legend: { bordercolor: 'rgba(0,0,0,0)', borderwidth: 0, font: { size: 12 } },
  margin: { r: 0, l: 0 },
};

function loadPlotly() {  // one <script> for the whole page, from this app's own address
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__convlabPlotly) {
    window.__convlabPlotly = new Promise((resolve, reject) => {
      const base = window.location.pathname.replace(/[^/]*$/, '');
      const script = document.createElement('script');
      script.src = base + 'app/static/__PLOTLY_JS__';
      script.onload = () => resolve(window.Plotly);
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return window.__convlabPlotly;
}

function skeleton(parent) {
  let root = parent.querySelector('.convlab-live-chart');
  if (root) return root;
  root = document.createElement('div');
  root.className = 'convlab-live-chart';
  parent.appendChild(root);
  // the column may change width without a window resize (sidebar, phone rotation)
  new ResizeObserver(() => { if (root._drawn && window.Plotly) window.Plotly.Plots.resize(root); })
    .observe(root);
  return root;
}

function draw(root) {
  const figure = JSON.parse(root._pending);
  const layout = figure.layout || {};
  layout.template = { layout: THEME };
  layout.autosize = true;
  const height = layout.height || 450;
  root.style.height = height + 'px';
  const config = Object.assign({ displaylogo: false, responsive: true }, root._config);
  const frames = figure.frames || [];
  const started = performance.now();
  const drawing = window.Plotly.react(root, { data: figure.data || [], layout, config, frames });
  root._drawn = true;
  const revision = root._revision;
  return drawing.then(() => {
    window.__convlabDrawMs = (window.__convlabDrawMs || 0) + performance.now() - started;  // benchmarks read it
    if (root._revision === revision) delete root.dataset.pending;
    root.dataset.title = layout.title && layout.title.text ? String(layout.title.text) : '';
    root.dataset.revision = String(root._revision);
  });
}

export default function (component) {
  const { data, parentElement } = component;
  const root = skeleton(parentElement);
  const config = JSON.stringify(data.config || {});
  if (root._shown === data.figure && root._shownConfig === config) return;  // unchanged: no work at all
  root._shown = data.figure;
  root._shownConfig = config;
  root._pending = data.figure;  // the newest figure wins when several arrive while Plotly loads
  root._config = data.config || {};
  root._revision = data.revision;
  root.dataset.pending = '1';  // until this figure is drawn (tests and benchmarks wait for it)
  loadPlotly().then(() => draw(root)).catch((error) => {  // a figure Plotly cannot draw stays blank
    console.error('convlab live chart:', error);
    delete root.dataset.pending;
  });
}
""".replace("__PLOTLY_JS__", PLOTLY_JS)

_COMPONENT = st.components.v2.component(NAME, html="", css=CSS, js=JS, isolate_styles=False)

# No plotly.py template: the component applies Streamlit's theme itself and drops the template, and
# plotly.py would otherwise copy its default template into every figure a page builds (~1 ms each).
pio.templates.default = None


@cache
def ensure_plotly_js() -> Path:
    """Copy plotly.js from the plotly package into the app's static folder, once per server process
    (atomically, so two sessions starting together never serve half a file). Returns its path."""
    target = STATIC_DIR / PLOTLY_JS
    if target.is_file() and target.stat().st_size == SOURCE_JS.stat().st_size:
        return target
    STATIC_DIR.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=STATIC_DIR, delete=False, suffix=".part") as part:
        with SOURCE_JS.open("rb") as source:
            shutil.copyfileobj(source, part)
    os.replace(part.name, target)
    return target


def figure_json(fig) -> str:
    """The figure as Plotly JSON without Streamlit's template (its colours are placeholders that
    only st.plotly_chart fills in; the component applies the same theme itself)."""
    spec = _spec(fig)
    spec["layout"] = {k: v for k, v in spec.get("layout", {}).items() if k != "template"}
    if not spec.get("frames"):
        spec.pop("frames", None)
    return pio.to_json(spec, validate=False, remove_uids=False)


# Plotly's JSON names of the array types plotly.js reads from base64 ("typed array specs")
_TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
          "float32": "f4", "float64": "f8"}
_NOT_ARRAYS = {"geojson", "layer", "layers", "range"}  # keys whose arrays plotly.js wants as lists
_SMALLER_INTS = (np.int8, np.int16, np.int32)


def _typed_array(array: np.ndarray):
    """A NumPy array as plotly.js's typed array spec, as plotly.py writes it: 64-bit integers
    become the smallest integer type that holds them (plotly.js has no 64-bit integers), and
    arrays of other types (text, booleans) stay as they are (written as lists)."""
    if array.size == 0:
        return array
    if array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        low, high = array.min(), array.max()
        kinds = _SMALLER_INTS if array.dtype.kind == "i" else (np.uint8, np.uint16, np.uint32)
        fits = [k for k in kinds if np.iinfo(k).min <= low and high <= np.iinfo(k).max]
        if not fits:
            return array
        array = array.astype(fits[0])
    code = _TYPED.get(str(array.dtype))
    if code is None:
        return array
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def _encoded(value):
    """A copy of a figure spec's dicts and lists with every NumPy array written as a typed array
    spec (base64), in one pass; the arrays themselves are never copied first, unlike plotly.py's
    to_plotly_json, which deep-copies the whole figure (a tenth of a page's run)."""
    if isinstance(value, dict):
        return {k: (v if k in _NOT_ARRAYS else _encoded(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encoded(v) for v in value]
    if isinstance(value, np.ndarray):
        return _typed_array(value)
    if is_homogeneous_array(value):  # a pandas or xarray object: plotly.py's own conversion
        return to_typed_array_spec(value)
    return value


def _spec(fig) -> dict:
    """The figure as a plain dict with its arrays as Plotly's base64 specs."""
    if isinstance(fig, BaseFigure):
        return _encoded({"data": fig._data, "layout": fig._layout,
                         "frames": [frame._props for frame in fig._frame_objs]})
    return _encoded(dict(fig))


def live_chart(fig, key: str, where=st, config: dict | None = None) -> None:
    """Draw `fig` under `key` in `where` (st or a column); later runs update it in place."""
    ensure_plotly_js()
    text = figure_json(fig)
    with nullcontext() if where is st else where:  # the revision as text: JSON numbers lose digits
        _COMPONENT(data={"figure": text, "config": config or {}, "revision": str(hash(text))}, key=key)

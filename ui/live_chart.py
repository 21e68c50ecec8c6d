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

import os
from contextlib import nullcontext
from functools import cache
import shutil
import tempfile
from pathlib import Path

import plotly
import plotly.io as pio
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
    spec = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    layout = {k: v for k, v in spec.get("layout", {}).items() if k != "template"}
    return pio.to_json({**spec, "layout": layout}, validate=False, remove_uids=False)


def live_chart(fig, key: str, where=st, config: dict | None = None) -> None:
    """Draw `fig` under `key` in `where` (st or a column); later runs update it in place."""
    ensure_plotly_js()
    text = figure_json(fig)
    with nullcontext() if where is st else where:
        _COMPONENT(data={"figure": text, "config": config or {}, "revision": hash(text)}, key=key)

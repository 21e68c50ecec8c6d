"""A large heat map on a canvas that redraws in place: `draw_raster(raster, key, where)`.

Streamlit gives a Plotly chart whose figure changed a new identity, so the browser builds it again
from nothing; for the feature maps of a photo that rebuild took longer than the rest of a stride
change. This Streamlit component (st.components.v2, our own JavaScript below, keyed so it keeps its
identity) puts one pixel per cell on a canvas scaled up without smoothing, with the colour bar, a
few row/column indices, and the cell's value on hover, like the Plotly heat maps around it. The
colours and values come from `visuals.raster.heat_raster`. The numbers as a table are the page's
to offer (`ui.heat_table.number_tables`; the convolution page has one lazy expander for all its maps).
"""
from __future__ import annotations

import streamlit as st

from ui import present
from visuals.presentation import PRESENT_FACTOR
from visuals.raster import Raster

NAME = "convlab_raster_heatmap"

CSS = """
.convlab-raster { font-family: var(--st-font, "Source Sans", sans-serif); color: var(--st-text-color, #31333F); font-size: calc(12px * var(--scale, 1)); }
.convlab-raster .title { font-weight: 600; font-size: calc(15px * var(--scale, 1)); margin: 0 0 4px 2px; }
.convlab-raster .frame { position: relative; margin: 16px 0 0 30px; }
.convlab-raster canvas { width: 100%; height: auto; display: block; image-rendering: pixelated;
  outline: 1px solid #d5d5d5; cursor: crosshair; }
.convlab-raster .tick { position: absolute; color: #555; white-space: nowrap; line-height: 1; }
.convlab-raster .tick.col { top: -15px; transform: translateX(-50%); }
.convlab-raster .tick.row { left: -6px; transform: translate(-100%, -50%); }
.convlab-raster .tip { position: absolute; pointer-events: none; background: #262730; color: #fff;
  padding: 3px 6px; border-radius: 4px; white-space: nowrap; transform: translate(10px, -120%); z-index: 2; }
.convlab-raster .bar { display: flex; align-items: center; gap: 6px; margin: 6px 0 2px 30px; }
.convlab-raster .ramp { flex: 1 1 auto; height: 10px; border: 1px solid #d5d5d5; }
"""

JS = """
const MAX_HEIGHT = 420;
const fmt = (v) => Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
function decode(text) {  // base64 -> bytes; a plain loop is many times faster than Array.from with a map
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function skeleton(parent) {
  let root = parent.querySelector('.convlab-raster');
  if (root) return root;
  root = document.createElement('div');
  root.className = 'convlab-raster';
  root.innerHTML = '<div class="title"></div><div class="frame"><canvas role="img"></canvas>'
    + '<div class="tip" hidden></div></div>'
    + '<div class="bar"><span class="min"></span><div class="ramp"></div><span class="max"></span></div>';
  parent.appendChild(root);
  return root;
}

function ticks(frame, count, kind) {
  frame.querySelectorAll('.tick.' + kind).forEach((el) => el.remove());
  const step = Math.max(1, Math.ceil(count / 6 / 5) * 5);  // about six round indices
  for (let i = 0; i < count - step / 2 || i === 0; i += step) {  // none squeezed against the end
    const el = document.createElement('span');
    el.className = 'tick ' + kind;
    el.textContent = String(i);
    el.style[kind === 'col' ? 'left' : 'top'] = ((i + 0.5) / count * 100) + '%';
    frame.appendChild(el);
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const root = skeleton(parentElement);
  const { rows, cols } = data;
  root.style.setProperty('--scale', String(data.scale || 1));
  root.querySelector('.title').textContent = data.title;
  const canvas = root.querySelector('canvas');
  canvas.setAttribute('aria-label', data.title + ' (' + rows + ' x ' + cols + ')');
  canvas.width = cols;
  canvas.height = rows;
  const rgba = new Uint8ClampedArray(decode(data.rgba).buffer);
  canvas.getContext('2d').putImageData(new ImageData(rgba, cols, rows), 0, 0);
  const values = new Float64Array(decode(data.values).buffer);
  const frame = root.querySelector('.frame');
  // the full column width, unless that would make a tall map taller than MAX_HEIGHT px
  frame.style.width = 'min(calc(100% - 30px), ' + Math.round(MAX_HEIGHT * cols / rows) + 'px)';
  ticks(frame, cols, 'col');
  ticks(frame, rows, 'row');
  root.querySelector('.ramp').style.background =
    'linear-gradient(to right, ' + data.stops.map(([p, c]) => c + ' ' + (p * 100) + '%').join(', ') + ')';
  root.querySelector('.max').textContent = fmt(data.zmax);
  root.querySelector('.min').textContent = fmt(data.zmin);
  const tip = root.querySelector('.tip');
  tip.hidden = true;  // its value belonged to the previous map
  canvas.onmousemove = (event) => {
    const box = canvas.getBoundingClientRect();
    const c = Math.min(cols - 1, Math.floor((event.clientX - box.left) / box.width * cols));
    const r = Math.min(rows - 1, Math.floor((event.clientY - box.top) / box.height * rows));
    tip.textContent = '(' + r + ', ' + c + ') = ' + fmt(values[r * cols + c]);
    tip.style.left = (event.clientX - box.left) + 'px';
    tip.style.top = (event.clientY - box.top) + 'px';
    tip.hidden = false;
  };
  canvas.onmouseleave = () => { tip.hidden = true; };
  // what tests and benchmarks read: set last, once the map is drawn
  root.dataset.title = data.title;
  root.dataset.rows = String(rows);
  root.dataset.cols = String(cols);
}
"""

_COMPONENT = st.components.v2.component(NAME, html="", css=CSS, js=JS, isolate_styles=False)


def draw_raster(raster: Raster, key: str, where=st) -> None:
    """Draw `raster` under `key` in `where` (st or a column)."""
    data = raster.payload()
    data["scale"] = PRESENT_FACTOR if present.is_on() else 1
    with where:
        _COMPONENT(data=data, key=key)


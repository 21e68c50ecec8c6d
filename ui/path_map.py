"""Descent paths over a contour map on a canvas that redraws in place: `draw_path_map(...)`.

The optimizer lab's map was a Plotly chart: a contour picture, its level lines, an invisible heat
map for hovering and six paths with a dot at every step. Each move of a slider made Plotly redraw
all of it (~0.4 s in the page, more than the rest of the rerun). Here the contour picture (bands
and level lines, `visuals.optimizers.contour_picture`) and the f values for hovering are files the
app serves itself (`/app/static/`, written once per surface and server), fetched once per browser;
every rerun sends only the paths (`visuals.optimizers.path_map`) and the canvas draws them in a
few milliseconds. Hovering shows a path's step t and point, or x, y and f anywhere on the map;
the legend below names each path and the markers.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import present
from ui.live_chart import STATIC_DIR
from visuals.presentation import PRESENT_FACTOR

NAME = "convlab_path_map"

CSS = """
.convlab-path-map { font-family: var(--st-font, "Source Sans", sans-serif); color: var(--st-text-color, #31333F);
  font-size: calc(12px * var(--scale, 1)); position: relative; }
.convlab-path-map canvas { display: block; cursor: crosshair; }
.convlab-path-map .tip { position: absolute; pointer-events: none; background: #262730; color: #fff;
  padding: 3px 6px; border-radius: 4px; white-space: nowrap; transform: translate(12px, -120%); z-index: 2; }
.convlab-path-map .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 0 46px; }
.convlab-path-map .legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
"""

JS = """
const MARGIN = { left: 46, right: 8, top: 8, bottom: 34 };
const fmt = (v, d) => Number.isFinite(v) ? String(Number(v.toPrecision(d || 4))) : String(v);
function decode(text) {  // base64 -> little-endian float64 values
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}
function staticUrl(file) {  // this app's own /app/static/, wherever the app is mounted
  return window.location.pathname.replace(/[^/]*$/, '') + 'app/static/' + file;
}
function niceTicks(lo, hi, count) {  // about `count` round values inside [lo, hi]
  const raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function skeleton(parent) {
  let root = parent.querySelector('.convlab-path-map');
  if (root) return root;
  root = document.createElement('div');
  root.className = 'convlab-path-map';
  root.innerHTML = '<canvas role="img"></canvas><div class="tip" hidden></div><div class="legend"></div>';
  parent.appendChild(root);
  new ResizeObserver(() => { if (root._data && root.clientWidth !== root._width) draw(root); }).observe(root);
  return root;
}

function background(root, picture) {  // the contour picture, loaded once per browser and surface
  const cache = window.__convlabPictures || (window.__convlabPictures = {});
  if (!cache[picture]) {
    const img = new Image();
    cache[picture] = img;
    img.src = staticUrl(picture);
  }
  const img = cache[picture];
  if (!img.complete) img.addEventListener('load', () => { if (root._data && root._data.picture === picture) draw(root); }, { once: true });
  return img;
}

function hoverValues(root, hover) {  // f on a coarse grid, for the tooltip (fetched once)
  const cache = window.__convlabHover || (window.__convlabHover = {});
  if (!cache[hover.file]) {
    cache[hover.file] = { values: null };
    fetch(staticUrl(hover.file)).then((r) => r.arrayBuffer()).then((b) => { cache[hover.file].values = new Float32Array(b); })
      .catch(() => {});
  }
  return cache[hover.file];
}

function geometry(root, data) {
  const s = data.scale || 1;
  const [x0, x1] = data.x_range, [y0, y1] = data.y_range;
  const aspect = (y1 - y0) / (x1 - x0);
  let w = Math.max(120, root.clientWidth - (MARGIN.left + MARGIN.right) * s), h = w * aspect;
  const tallest = data.height * s;
  if (h > tallest) { h = tallest; w = h / aspect; }
  const left = MARGIN.left * s, top = MARGIN.top * s;
  return { s, left, top, w, h, width: left + w + MARGIN.right * s, height: top + h + MARGIN.bottom * s,
           px: (x) => left + (x - x0) / (x1 - x0) * w, py: (y) => top + (y1 - y) / (y1 - y0) * h,
           dx: (p) => x0 + (p - left) / w * (x1 - x0), dy: (p) => y1 - (p - top) / h * (y1 - y0) };
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
}

function drawPaths(ctx, g, paths) {
  const clamp = (v) => Math.max(-1e5, Math.min(1e5, v));
  for (const p of paths) {
    ctx.strokeStyle = p.color; ctx.fillStyle = p.color; ctx.lineWidth = 2.5 * g.s;
    ctx.setLineDash(p.dash.map((d) => d * g.s));
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < p.xs.length; i++) {
      const ok = Number.isFinite(p.xs[i]) && Number.isFinite(p.ys[i]);
      if (!ok) { pen = false; continue; }
      const X = clamp(g.px(p.xs[i])), Y = clamp(g.py(p.ys[i]));
      if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    for (let i = 0; i < p.xs.length; i++) {
      if (!Number.isFinite(p.xs[i]) || !Number.isFinite(p.ys[i])) continue;
      const X = clamp(g.px(p.xs[i])), Y = clamp(g.py(p.ys[i]));
      ctx.moveTo(X + 2 * g.s, Y); ctx.arc(X, Y, 2 * g.s, 0, 2 * Math.PI);
    }
    ctx.fill();
    const n = p.xs.length - 1;
    if (n < 0 || !Number.isFinite(p.xs[n]) || !Number.isFinite(p.ys[n])) continue;
    const X = clamp(g.px(p.xs[n])), Y = clamp(g.py(p.ys[n]));
    if (p.diverged) {
      const r = 6 * g.s;
      ctx.lineWidth = 3 * g.s;
      ctx.beginPath(); ctx.moveTo(X - r, Y - r); ctx.lineTo(X + r, Y + r); ctx.moveTo(X + r, Y - r); ctx.lineTo(X - r, Y + r);
      ctx.stroke();
    } else {
      ctx.beginPath(); ctx.arc(X, Y, 4.5 * g.s, 0, 2 * Math.PI); ctx.fill();
      ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 1 * g.s; ctx.stroke();
    }
  }
}

function drawAxes(ctx, g, data) {
  ctx.strokeStyle = '#d5d5d5'; ctx.lineWidth = 1; ctx.strokeRect(g.left, g.top, g.w, g.h);
  ctx.fillStyle = '#31333F'; ctx.font = (12 * g.s) + 'px "Source Sans", sans-serif';
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  for (const v of niceTicks(data.x_range[0], data.x_range[1], Math.max(3, Math.round(g.w / 90)))) {
    ctx.fillText(fmt(v), g.px(v), g.top + g.h + 4 * g.s);
  }
  ctx.fillText(data.labels.x, g.left + g.w / 2, g.top + g.h + 18 * g.s);
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  for (const v of niceTicks(data.y_range[0], data.y_range[1], Math.max(3, Math.round(g.h / 70)))) {
    ctx.fillText(fmt(v), g.left - 5 * g.s, g.py(v));
  }
  ctx.save(); ctx.translate(12 * g.s, g.top + g.h / 2); ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center'; ctx.fillText(data.labels.y, 0, 0); ctx.restore();
}

function drawMarkers(ctx, g, data) {
  for (const [x, y] of data.minima) {
    star(ctx, g.px(x), g.py(y), 9 * g.s);
    ctx.fillStyle = '#F0E442'; ctx.fill(); ctx.strokeStyle = '#000000'; ctx.lineWidth = 1 * g.s; ctx.stroke();
  }
  if (data.start) {
    ctx.beginPath(); ctx.arc(g.px(data.start[0]), g.py(data.start[1]), 6 * g.s, 0, 2 * Math.PI);
    ctx.fillStyle = '#ffffff'; ctx.fill(); ctx.strokeStyle = '#000000'; ctx.lineWidth = 2 * g.s; ctx.stroke();
  }
}

function draw(root) {
  const data = root._data, canvas = root.querySelector('canvas');
  root._width = root.clientWidth;
  const g = geometry(root, data), ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(g.width * ratio); canvas.height = Math.round(g.height * ratio);
  canvas.style.width = g.width + 'px'; canvas.style.height = g.height + 'px';
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, g.width, g.height);
  const img = background(root, data.picture);
  if (img.complete && img.naturalWidth) ctx.drawImage(img, g.left, g.top, g.w, g.h);
  drawAxes(ctx, g, data);
  ctx.save(); ctx.beginPath(); ctx.rect(g.left, g.top, g.w, g.h); ctx.clip();
  drawPaths(ctx, g, data.paths);
  drawMarkers(ctx, g, data);
  ctx.restore();
  root._geometry = g;
}

function legend(root, data) {
  const swatch = (p) => '<svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="' + p.color
    + '" stroke-width="2.5" stroke-dasharray="' + p.dash.join(',') + '"/></svg>';
  const mark = (svg, text) => '<span><svg width="16" height="16">' + svg + '</svg>' + text + '</span>';
  const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  let html = data.paths.map((p) => '<span>' + swatch(p) + esc(p.label) + '</span>').join('');
  if (data.start) html += mark('<circle cx="8" cy="8" r="5" fill="#fff" stroke="#000" stroke-width="2"/>', esc(data.labels.start));
  if (data.minima.length) html += mark('<polygon points="8,1 10,6 15,6 11,9 12.5,15 8,11.5 3.5,15 5,9 1,6 6,6" fill="#F0E442" stroke="#000"/>', esc(data.labels.minimum));
  if (data.paths.some((p) => p.diverged)) html += mark('<path d="M3 3L13 13M13 3L3 13" stroke="#000" stroke-width="2.5"/>', esc(data.labels.diverged));
  const box = root.querySelector('.legend');
  if (box.innerHTML !== html) box.innerHTML = html;
}

function nearestStep(data, g, mx, my) {  // the path point under the pointer (within 8 px), if any
  let best = null, bestD = (8 * g.s) ** 2;
  for (const p of data.paths) {
    for (let i = 0; i < p.xs.length; i++) {
      const d = (g.px(p.xs[i]) - mx) ** 2 + (g.py(p.ys[i]) - my) ** 2;
      if (d < bestD) { bestD = d; best = { p, i }; }
    }
  }
  return best;
}

function hover(root, event) {
  const data = root._data, g = root._geometry, tip = root.querySelector('.tip');
  const box = root.querySelector('canvas').getBoundingClientRect();
  const mx = event.clientX - box.left, my = event.clientY - box.top;
  if (!g || mx < g.left || mx > g.left + g.w || my < g.top || my > g.top + g.h) { tip.hidden = true; return; }
  const hit = nearestStep(data, g, mx, my);
  if (hit) {
    tip.textContent = hit.p.label + ' · t=' + hit.i + ': (' + fmt(hit.p.xs[hit.i], 5) + ', ' + fmt(hit.p.ys[hit.i], 5) + ')';
  } else {
    const x = g.dx(mx), y = g.dy(my), h = data.hover, grid = hoverValues(root, h).values;
    const c = Math.round((x - data.x_range[0]) / (data.x_range[1] - data.x_range[0]) * (h.cols - 1));
    const r = Math.round((y - data.y_range[0]) / (data.y_range[1] - data.y_range[0]) * (h.rows - 1));
    tip.textContent = 'x=' + fmt(x, 4) + ', y=' + fmt(y, 4) + (grid ? ', f=' + fmt(grid[r * h.cols + c], 4) : '');
  }
  tip.style.left = mx + 'px'; tip.style.top = my + 'px'; tip.hidden = false;
}

export default function (component) {
  const { data, parentElement } = component;
  const root = skeleton(parentElement);
  root.style.setProperty('--scale', String(data.scale || 1));
  data.paths.forEach((p) => { p.xs = decode(p.x); p.ys = decode(p.y); });
  root._data = data;
  hoverValues(root, data.hover);
  draw(root);
  legend(root, data);
  const canvas = root.querySelector('canvas');
  canvas.setAttribute('aria-label', data.title || '');
  canvas.onmousemove = (event) => hover(root, event);
  canvas.onmouseleave = () => { root.querySelector('.tip').hidden = true; };
  // what tests and benchmarks read: set last, once the map is drawn
  root.dataset.paths = String(data.paths.length);
  root.dataset.picture = data.picture;
}
"""

_COMPONENT = st.components.v2.component(NAME, html="", css=CSS, js=JS, isolate_styles=False)


@dataclass(frozen=True)
class Background:
    """A surface's contour picture and hover values as files of /app/static/ (names carry a hash
    of their contents, so a browser's cached copy is never stale)."""

    picture: str
    hover_file: str
    hover_rows: int
    hover_cols: int


def _publish(data: bytes, stem: str, suffix: str) -> str:
    """Write `data` into the app's static folder once (atomically: replicas and sessions may race)."""
    name = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    target = STATIC_DIR / name
    if not target.is_file():
        STATIC_DIR.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=STATIC_DIR, delete=False, suffix=".part") as part:
            part.write(data)
        os.replace(part.name, target)
    return name


def publish_background(stem: str, picture: np.ndarray, hover_values: np.ndarray) -> Background:
    """Serve `picture` (H, W, 3) uint8, top row = highest y, as a PNG and `hover_values` (R, C), row 0
    = lowest y, as little-endian float32; returns their file names."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture)).save(out, format="PNG", optimize=True)
    values = np.ascontiguousarray(hover_values, dtype="<f4")
    return Background(_publish(out.getvalue(), stem, ".png"), _publish(values.tobytes(), stem, ".f32"),
                      int(values.shape[0]), int(values.shape[1]))


def draw_path_map(payload: dict, background: Background, key: str, where=st, title: str = "") -> None:
    """Draw `payload` (visuals.optimizers.path_map) over `background` under `key` in `where`."""
    data = {**payload, "picture": background.picture, "title": title,
            "hover": {"file": background.hover_file, "rows": background.hover_rows, "cols": background.hover_cols},
            "scale": PRESENT_FACTOR if present.is_on() else 1}
    with nullcontext() if where is st else where:
        _COMPONENT(data=data, key=key)

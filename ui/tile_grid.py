"""Rows of small maps and images on canvases that redraw in place: `draw_tiles(grid, key, where)`.

The Plotly way to show a batch of maps (one subplot per tile) makes the browser lay out a set of
axes per tile and rebuild them all on every change. This Streamlit component (st.components.v2,
our own JavaScript below, keyed so it keeps its identity) draws each tile's pixels
(`visuals.tiles`) on a small canvas scaled up without smoothing, with its caption, the row's
title, and the cell's value on hover. The numbers as tables are the page's to offer
(`ui.heat_table.number_tables`).
"""
from __future__ import annotations

from contextlib import nullcontext

import streamlit as st

from ui import present
from visuals.presentation import PRESENT_FACTOR
from visuals.tiles import TileGrid

NAME = "convlab_tile_grid"

CSS = """
.convlab-tiles { font-family: var(--st-font, "Source Sans", sans-serif); color: var(--st-text-color, #31333F);
  font-size: calc(11px * var(--scale, 1)); position: relative; }
.convlab-tiles .row-title { font-size: calc(13px * var(--scale, 1)); font-weight: 600; margin: 6px 0 3px 0; }
.convlab-tiles .grid { display: grid; gap: 4px;
  grid-template-columns: repeat(var(--cols), minmax(0, calc(var(--tile) * var(--scale, 1)))); }
.convlab-tiles figure { margin: 0; min-width: 0; }
.convlab-tiles canvas.numbers { image-rendering: auto; }
.convlab-tiles canvas.cells { outline: none; max-width: 100%; cursor: default; }
.convlab-tiles .bar { display: flex; align-items: center; gap: 6px; margin: 4px 0 2px 22px; max-width: 320px; }
.convlab-tiles .ramp { flex: 1 1 auto; height: 8px; border: 1px solid #d5d5d5; }
.convlab-tiles canvas { width: 100%; height: auto; display: block; image-rendering: pixelated;
  outline: 1px solid #d5d5d5; cursor: crosshair; }
.convlab-tiles figcaption { text-align: center; white-space: pre-line; line-height: 1.2; margin-top: 2px;
  overflow-wrap: anywhere; }
.convlab-tiles .tip { position: absolute; pointer-events: none; background: #262730; color: #fff;
  padding: 3px 6px; border-radius: 4px; white-space: nowrap; transform: translate(10px, -120%); z-index: 2; }
"""

JS = """
const fmt = (v) => Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
function decode(text) {  // base64 -> bytes
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const CELL = 48;  // canvas pixels per cell when the values are written in (scaled to the tile's width)
const FONT = 15;  // canvas pixels; a number wider than its cell is written smaller
function writeFitted(ctx, text, x, y, cell, size) {  // centred in the cell, smaller if it is too wide
  ctx.font = size + 'px "Source Sans", sans-serif';
  const wide = ctx.measureText(text).width;
  if (wide > cell - 6) ctx.font = Math.max(7, Math.floor(size * (cell - 6) / wide)) + 'px "Source Sans", sans-serif';
  ctx.fillText(text, x + cell / 2, y + cell / 2);
}

function drawNumbers(canvas, tile, rgba) {  // a small map: each cell its colour and its number
  canvas.width = tile.w * CELL;
  canvas.height = tile.h * CELL;
  canvas.classList.add('numbers');
  const ctx = canvas.getContext('2d');
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < tile.w * tile.h; i++) {
    const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
    const x = (i % tile.w) * CELL, y = Math.floor(i / tile.w) * CELL;
    ctx.fillStyle = 'rgb(' + r + ',' + g + ',' + b + ')';
    ctx.fillRect(x, y, CELL, CELL);
    ctx.fillStyle = 0.299 * r + 0.587 * g + 0.114 * b < 128 ? '#ffffff' : '#262730';  // readable on the cell
    writeFitted(ctx, tile.texts[i], x, y, CELL, FONT);
  }
}

// A small heat map cell by cell: indices along the top and the left, numbers, padding in grey,
// outlined cell ranges, and under it the colour ramp with its range (like visuals.heatmaps).
const PAD = 'rgba(150, 150, 150, 0.55)';
const LEFT = 22, TOP = 18;  // canvas pixels for the indices
function drawCells(canvas, tile, rgba, scale) {
  const c = tile.cells, cell = Math.round(c.px * scale), font = Math.round(cell * 0.36);
  canvas.width = LEFT + tile.w * cell + 2;
  canvas.height = TOP + tile.h * cell + 2;
  canvas.classList.add('numbers', 'cells');
  const ctx = canvas.getContext('2d');
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#555';
  ctx.font = '12px "Source Sans", sans-serif';
  const every = [1, 2, 5, 10, 20, 50].find((k) => k * cell >= 18) || 100;  // indices at least 18 px apart
  for (let j = 0; j < tile.w; j += every) ctx.fillText(String(j), LEFT + (j + 0.5) * cell, TOP / 2);
  for (let i = 0; i < tile.h; i += every) ctx.fillText(String(i), LEFT / 2, TOP + (i + 0.5) * cell);
  const gap = c.gap ? 1 : 0;
  for (let k = 0; k < tile.w * tile.h; k++) {
    const x = LEFT + (k % tile.w) * cell, y = TOP + Math.floor(k / tile.w) * cell;
    const [r, g, b, a] = [rgba[4 * k], rgba[4 * k + 1], rgba[4 * k + 2], rgba[4 * k + 3]];
    ctx.fillStyle = a ? 'rgb(' + r + ',' + g + ',' + b + ')' : '#ffffff';
    ctx.fillRect(x + gap, y + gap, cell - 2 * gap, cell - 2 * gap);
    if (c.mask && c.mask[k]) { ctx.fillStyle = PAD; ctx.fillRect(x + gap, y + gap, cell - 2 * gap, cell - 2 * gap); }
    const text = tile.texts ? tile.texts[k] : '';
    if (text) {
      const dark = c.mask && c.mask[k] ? false : 0.299 * r + 0.587 * g + 0.114 * b < 128;
      ctx.fillStyle = dark ? '#ffffff' : '#262730';
      writeFitted(ctx, text, x, y, cell, font);
    }
  }
  for (const [r0, c0, r1, c1, color, width] of c.boxes || []) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.strokeRect(LEFT + c0 * cell + 1, TOP + r0 * cell + 1, (c1 - c0 + 1) * cell - 2, (r1 - r0 + 1) * cell - 2);
  }
  canvas.style.width = canvas.width + 'px';  // drawn at its size (narrower columns scale it down)
}

function cellAt(canvas, tile, event) {  // [row, col] under the pointer, or null
  const box = canvas.getBoundingClientRect();
  const sx = canvas.width / box.width, sy = canvas.height / box.height;
  const px = (event.clientX - box.left) * sx, py = (event.clientY - box.top) * sy;
  if (!tile.cells) return [Math.min(tile.h - 1, Math.floor(py / canvas.height * tile.h)),
                           Math.min(tile.w - 1, Math.floor(px / canvas.width * tile.w))];
  const cell = (canvas.width - LEFT - 2) / tile.w;  // the drawn cell size (presentation mode: larger)
  const c = Math.floor((px - LEFT) / cell), r = Math.floor((py - TOP) / cell);
  return r >= 0 && c >= 0 && r < tile.h && c < tile.w ? [r, c] : null;
}

function rampElement(bar) {  // [min text, max text, stops]
  const el = document.createElement('div');
  el.className = 'bar';
  el.innerHTML = '<span class="min"></span><div class="ramp"></div><span class="max"></span>';
  el.querySelector('.min').textContent = bar[0];
  el.querySelector('.max').textContent = bar[1];
  el.querySelector('.ramp').style.background =
    'linear-gradient(to right, ' + bar[2].map(([p, c]) => c + ' ' + (p * 100) + '%').join(', ') + ')';
  return el;
}

function tileElement(tile, root, tip, scale) {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = tile.w;
  canvas.height = tile.h;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', (tile.caption || '') + ' (' + tile.h + ' x ' + tile.w + ')');
  const rgba = new Uint8ClampedArray(decode(tile.rgba).buffer);
  if (tile.cells) drawCells(canvas, tile, rgba, scale);
  else if (tile.texts) drawNumbers(canvas, tile, rgba);
  else canvas.getContext('2d').putImageData(new ImageData(rgba, tile.w, tile.h), 0, 0);
  figure.appendChild(canvas);
  if (tile.cells && tile.cells.bar) figure.appendChild(rampElement(tile.cells.bar));
  if (tile.caption) {
    const caption = document.createElement('figcaption');
    caption.textContent = tile.caption;
    if (tile.color) caption.style.color = tile.color;
    figure.appendChild(caption);
  }
  const values = tile.values ? new Float64Array(decode(tile.values).buffer) : null;
  canvas.onmousemove = (event) => {
    const outer = root.getBoundingClientRect();
    const at = cellAt(canvas, tile, event);
    const where = tile.caption ? tile.caption.replace(/\\n/g, ' ') + ' ' : '';
    if (!at) { tip.hidden = true; return; }
    const [r, c] = at;
    tip.textContent = values ? where + '(' + r + ', ' + c + ') = ' + fmt(values[r * tile.w + c]) : where;
    tip.style.left = (event.clientX - outer.left) + 'px';
    tip.style.top = (event.clientY - outer.top) + 'px';
    tip.hidden = !tip.textContent;
  };
  canvas.onmouseleave = () => { tip.hidden = true; };
  return figure;
}

export default function (component) {
  const { data, parentElement } = component;
  let root = parentElement.querySelector('.convlab-tiles');
  if (!root) {
    root = document.createElement('div');
    root.className = 'convlab-tiles';
    parentElement.appendChild(root);
  }
  if (root.dataset.revision === String(data.revision)) return;  // unchanged: no work at all
  root.style.setProperty('--cols', String(data.columns));
  root.style.setProperty('--tile', data.tile_px + 'px');
  root.style.setProperty('--scale', String(data.scale || 1));
  const tip = document.createElement('div');
  tip.className = 'tip';
  tip.hidden = true;
  const parts = [];
  let count = 0;
  for (const row of data.rows) {
    if (row.title) {
      const title = document.createElement('div');
      title.className = 'row-title';
      title.textContent = row.title;
      parts.push(title);
    }
    const grid = document.createElement('div');
    grid.className = 'grid';
    for (const tile of row.tiles) { grid.appendChild(tileElement(tile, root, tip, data.scale || 1)); count++; }
    parts.push(grid);
  }
  root.replaceChildren(...parts, tip);
  // what tests and benchmarks read: set last, once the tiles are drawn
  root.dataset.tiles = String(count);
  root.dataset.revision = String(data.revision);
}
"""

_COMPONENT = st.components.v2.component(NAME, html="", css=CSS, js=JS, isolate_styles=False)


def draw_tiles(grid: TileGrid, key: str, where=st) -> None:
    """Draw `grid` under `key` in `where` (st or a column); later runs update it in place."""
    data = grid.payload()
    data["scale"] = PRESENT_FACTOR if present.is_on() else 1
    data["revision"] = str(hash(repr(data)))
    with nullcontext() if where is st else where:
        _COMPONENT(data=data, key=key)

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
    ctx.font = FONT + 'px "Source Sans", sans-serif';
    const wide = ctx.measureText(tile.texts[i]).width;
    if (wide > CELL - 6) ctx.font = Math.max(7, Math.floor(FONT * (CELL - 6) / wide)) + 'px "Source Sans", sans-serif';
    ctx.fillText(tile.texts[i], x + CELL / 2, y + CELL / 2);
  }
}

function tileElement(tile, root, tip) {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = tile.w;
  canvas.height = tile.h;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', (tile.caption || '') + ' (' + tile.h + ' x ' + tile.w + ')');
  const rgba = new Uint8ClampedArray(decode(tile.rgba).buffer);
  if (tile.texts) drawNumbers(canvas, tile, rgba);
  else canvas.getContext('2d').putImageData(new ImageData(rgba, tile.w, tile.h), 0, 0);
  figure.appendChild(canvas);
  if (tile.caption) {
    const caption = document.createElement('figcaption');
    caption.textContent = tile.caption;
    if (tile.color) caption.style.color = tile.color;
    figure.appendChild(caption);
  }
  const values = tile.values ? new Float64Array(decode(tile.values).buffer) : null;
  canvas.onmousemove = (event) => {
    const box = canvas.getBoundingClientRect();
    const outer = root.getBoundingClientRect();
    const c = Math.min(tile.w - 1, Math.floor((event.clientX - box.left) / box.width * tile.w));
    const r = Math.min(tile.h - 1, Math.floor((event.clientY - box.top) / box.height * tile.h));
    const where = tile.caption ? tile.caption.replace(/\\n/g, ' ') + ' ' : '';
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
    for (const tile of row.tiles) { grid.appendChild(tileElement(tile, root, tip)); count++; }
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

"""Where a sliding window reads, shared by convolution, pooling and their pages.

A window of size K with dilation D and stride S, over an axis padded by P_before, reads for
output cell i the input positions i*S + a*D - P_before (a = 0..K-1, original coordinates:
negative or >= the input size means padding). The padding amounts come from the output-size
formula (engine.shapes.output_size.AxisOutput); this module pads, gathers one window, marks the
padding border and finds the part of the input that a set of windows reads.

Shapes: batches NHWC (N, H, W, C), one image (H, W, C), masks (H, W).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from engine.shapes.output_size import AxisOutput

Pads = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


def axis_pads(ah: AxisOutput, aw: AxisOutput) -> Pads:
    """((top, bottom), (left, right)) padding of the two axes of the output-size formula."""
    return (ah.pad_before, ah.pad_after), (aw.pad_before, aw.pad_after)


def pad_spatial(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of x (N,H,W,C) by pads with `value` -> (N, H+pt+pb, W+pl+pr, C).

    x itself (no copy) when every amount is zero.
    """
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + pt + pb, w + pl + pr, c), value, dtype=x.dtype)
    out[:, pt:pt + h, pl:pl + w, :] = x
    return out


def padding_mask(hw: tuple[int, int], pads: Pads) -> np.ndarray:
    """(H+pt+pb, W+pl+pr) bool, True on the padding border around an (H, W) input."""
    (pt, pb), (pl, pr) = pads
    mask = np.ones((hw[0] + pt + pb, hw[1] + pl + pr), dtype=bool)
    mask[pt:pt + hw[0], pl:pl + hw[1]] = False
    return mask


def window_at(image: np.ndarray, ah: AxisOutput, aw: AxisOutput, row: int, col: int,
              fill: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The window of output (row, col) over image (H,W,C): in_rows (K_h,), in_cols (K_w,) in
    original coordinates, is_padding (K_h,K_w) and the values (K_h,K_w,C), `fill` on padding."""
    h, w = image.shape[:2]
    # original-coordinate position of tap a: i*S + a*D - pad_before
    rows = row * ah.stride + np.arange(ah.kernel) * ah.dilation - ah.pad_before
    cols = col * aw.stride + np.arange(aw.kernel) * aw.dilation - aw.pad_before
    row_in = (rows >= 0) & (rows < h)
    col_in = (cols >= 0) & (cols < w)
    is_pad = ~(row_in[:, None] & col_in[None, :])
    window = image[np.clip(rows, 0, h - 1)[:, None], np.clip(cols, 0, w - 1)[None, :]]
    window = np.where(is_pad[..., None], image.dtype.type(fill), window)
    return rows, cols, is_pad, window


@dataclass(frozen=True)
class Reach:
    """The rectangle of (possibly padded) input cells some windows read, original coordinates,
    inclusive: rows top..bottom, columns left..right (negative = padding before the input)."""

    top: int
    bottom: int
    left: int
    right: int

    def in_padded(self, pads: Pads) -> tuple[slice, slice]:
        """Row and column slices of this rectangle in the padded array's coordinates."""
        (pt, _), (pl, _) = pads
        return slice(self.top + pt, self.bottom + pt + 1), slice(self.left + pl, self.right + pl + 1)


def reach(traces: Iterable[object]) -> Reach:
    """The Reach of the windows of traces (anything with in_rows and in_cols, like
    engine.ops.conv.ConvTrace and engine.ops.pooling.PoolTrace); at least one trace."""
    traces = list(traces)
    return Reach(min(int(tr.in_rows.min()) for tr in traces), max(int(tr.in_rows.max()) for tr in traces),
                 min(int(tr.in_cols.min()) for tr in traces), max(int(tr.in_cols.max()) for tr in traces))

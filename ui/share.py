"""Shareable settings: a page's settings written into a link's query parameters, and restored
from them when the link is opened.

A page declares what can be shared as a list of `Param`s (a widget key and what values it may
take) and calls `restore(params)` before drawing its widgets and `share_popover(params)` where
the "share" button should be. A parameter is named after its widget key (`?conv_sh=2`), and
the language travels as `?lang=`. Values are checked against the declaration: a tampered or
unknown parameter is dropped and the page says so, keeping its default.
Grids (kernel cells) are rows of numbers, `1,0,-1;2,0,-2;1,0,-1`; a page takes them from
`shared_grid(key)` because where a grid is kept is the page's business; a value the page keeps as
text (the training studio's layer tables) is declared with `parsed(key, parse)` and taken with
`shared_value(key)`.
A widget whose range depends on other settings or on the server's data is declared with the widest
range it can have, and the page calls `keep_in_range(key, low, high)` just before drawing it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from engine.data import datasets
from ui.i18n import LANG_STATE_KEY, t
from ui.safe_text import markdown_text

APPLIED_KEY = "share_applied"  # the query parameters already applied, per page
GRIDS_KEY = "share_grids"  # grids from a link, waiting for their page to take them
PENDING_KEY = "share_pending"  # values a link wrote into the session, until keep_in_range checks them
MAX_GRID_SIDE = 7
MAX_TEXT = 1000  # characters of one parameter's value (a 7x7 grid of 6-digit numbers fits)


@dataclass(frozen=True)
class Param:
    """One shareable setting: the widget `key` and the values it may take.

    kind: "int" and "float" (within low..high), "choice" (one of options), "choices" (some of
    options, comma-separated), "bool", "grid", "text" (a value the page keeps itself, like a grid,
    written as text: `parse(text)` gives the value or raises ValueError).
    """

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    options: tuple = ()
    parse: Callable[[str], object] | None = field(default=None, compare=False)


def whole(key: str, low: int, high: int) -> Param:
    return Param(key, "int", low, high)


def real(key: str, low: float, high: float) -> Param:
    return Param(key, "float", low, high)


def choice(key: str, options) -> Param:
    return Param(key, "choice", options=tuple(options))


def choices(key: str, options) -> Param:
    return Param(key, "choices", options=tuple(options))


def digit_or_shape_params(prefix: str) -> list[Param]:
    """A page's input image when it is an MNIST digit or a drawn shape: `<prefix>_source`, `_digit`,
    `_shape`, `_seed` (the forward pass and backpropagation pages)."""
    return [choice(f"{prefix}_source", ("digit", "shape")), whole(f"{prefix}_digit", 0, datasets.MNIST_SUBSET_SIZE - 1),
            choice(f"{prefix}_shape", datasets.SHAPE_CLASSES), whole(f"{prefix}_seed", 0, 9999)]


def flag(key: str) -> Param:
    return Param(key, "bool")


def grid(key: str) -> Param:
    return Param(key, "grid")


def parsed(key: str, parse: Callable[[str], object]) -> Param:
    return Param(key, "text", parse=parse)


PAGE_KEPT = ("grid", "text")  # kinds whose value the page keeps (and takes with shared_value)


def encode(param: Param, value: object) -> str | None:
    """The text of `value` in a link, or None if it is not a value `param` takes."""
    try:
        return _encode(param, value)
    except (TypeError, ValueError):
        return None


def _encode(param: Param, value: object) -> str | None:
    if param.kind == "grid":
        rows = np.asarray(value, dtype=np.float64)
        return ";".join(",".join(f"{v:.6g}" for v in row) for row in rows)
    if param.kind == "bool":
        return "1" if value else "0"
    if param.kind == "text":
        written = str(value)
        param.parse(written)
        return written
    if param.kind == "choices":
        text = ",".join(str(v) for v in value)
        decode(param, text)
        return text
    text = str(value) if param.kind == "choice" else f"{value:.6g}" if param.kind == "float" else str(int(value))
    decode(param, text)  # only what a link can bring back is written into one
    return text


def decode(param: Param, text: str) -> object:
    """The value of a link's `text` for `param`; ValueError if it is not one the widget takes."""
    if len(text) > MAX_TEXT:
        raise ValueError(param.key)
    if param.kind == "bool":
        if text not in ("0", "1"):
            raise ValueError(param.key)
        return text == "1"
    if param.kind == "choices":
        picked = [decode(Param(param.key, "choice", options=param.options), part)
                  for part in text.split(",") if text]
        if len(set(picked)) != len(picked):
            raise ValueError(param.key)
        return picked
    if param.kind == "choice":
        matches = [o for o in param.options if str(o) == text]
        if not matches:
            raise ValueError(param.key)
        return matches[0]
    if param.kind == "grid":
        return _decode_grid(param, text)
    if param.kind == "text":
        return param.parse(text)
    number = int(text) if param.kind == "int" else float(text)
    if not math.isfinite(number) or not param.low <= number <= param.high:
        raise ValueError(param.key)
    return number


def _decode_grid(param: Param, text: str) -> np.ndarray:
    """Rows separated by ';', numbers by ','; square, at most MAX_GRID_SIDE, finite."""
    rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    side = len(rows)
    if not 1 <= side <= MAX_GRID_SIDE or any(len(row) != side for row in rows):
        raise ValueError(param.key)
    values = np.asarray(rows, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(param.key)
    return values


def query_string(params: list[Param], values: dict[str, object], lang: str) -> str:
    """`?lang=..&key=value..` of the given settings (a value that can't be shared is left out)."""
    pairs = {"lang": lang}
    for param in params:
        if param.key in values:
            text = encode(param, values[param.key])
            if text is not None:
                pairs[param.key] = text
    return "?" + urlencode(pairs, safe=",;|")


def _incoming(params: list[Param], prefix: str) -> tuple[dict[str, object], list[str]]:
    """The link's values for this page, and the names of the parameters that were refused."""
    declared = {p.key: p for p in params}
    values, refused = {}, []
    for name in st.query_params:
        if name == "lang" or not name.startswith(prefix):
            continue
        try:
            values[name] = decode(declared[name], st.query_params[name])
        except (KeyError, ValueError):
            refused.append(name)
    return values, refused


def restore(params: list[Param], prefix: str) -> None:
    """Put the link's settings for this page into the widgets (once per link), before they are drawn.

    `prefix` is the page's widget-key prefix (`conv_`): other parameters belong to other pages.
    """
    values, refused = _incoming(params, prefix)
    # only this page's parameters: the language (or anything else) changing in the URL must not
    # bring the link's settings back over what the student has changed since
    signature = tuple(sorted((k, v) for k, v in st.query_params.to_dict().items() if k.startswith(prefix)))
    applied = st.session_state.setdefault(APPLIED_KEY, {})
    if not (values or refused) or applied.get(prefix) == signature:
        return
    applied[prefix] = signature
    declared = {p.key: p for p in params}
    pending = st.session_state.setdefault(PENDING_KEY, {})
    for key, value in values.items():
        if declared[key].kind in PAGE_KEPT:
            st.session_state.setdefault(GRIDS_KEY, {})[key] = value
        else:
            st.session_state[key] = value
            pending[key] = value
    if refused:
        names = ", ".join(markdown_text(name) for name in refused)
        st.warning(t("share.refused", names=names), icon=":material/link_off:")
    else:
        st.toast(t("share.restored"), icon=":material/link:")


def keep_in_range(key: str, low: float, high: float) -> None:
    """Call just before a widget whose range depends on other settings or on the server's data (its
    Param declares the widest range it can have): a value a link brought that this run's range does
    not take is dropped, with the link's notice, and the widget starts at its default.

    (Streamlit refuses a slider whose value, written into the session before it is drawn, lies
    outside its range; a value the student set with the widget is left to Streamlit.)
    """
    pending = st.session_state.get(PENDING_KEY, {})
    if key not in pending:
        return
    value = pending.pop(key)
    if st.session_state.get(key) == value and not low <= value <= high:
        del st.session_state[key]
        st.warning(t("share.refused", names=markdown_text(key)), icon=":material/link_off:")


def shared_grid(key: str) -> np.ndarray | None:
    """A grid a link brought for `key` (taken once), or None."""
    return shared_value(key)


def shared_value(key: str) -> object | None:
    """A page-kept value (a grid, a parsed text) a link brought for `key` (taken once), or None."""
    return st.session_state.get(GRIDS_KEY, {}).pop(key, None)


def current_values(params: list[Param], grids: dict[str, np.ndarray] | None = None) -> dict[str, object]:
    """The page's current settings: the widgets' values, plus the grids the page passes."""
    values = {p.key: st.session_state[p.key] for p in params if p.kind not in PAGE_KEPT and p.key in st.session_state}
    values.update(grids or {})
    return values


def share_popover(params: list[Param], grids: dict[str, np.ndarray] | None = None) -> None:
    """A "share" button whose popover holds a link to this page with its current settings."""
    box = st.popover(t("share.button"), icon=":material/share:", key="share_popover", on_change="rerun")
    if not box.open:
        return
    with box:
        query = query_string(params, current_values(params, grids), st.session_state.get(LANG_STATE_KEY, "ko"))
        base = (st.context.url or "").split("?")[0]
        st.caption(t("share.explain"))
        st.code(base + query, language=None, wrap_lines=True)

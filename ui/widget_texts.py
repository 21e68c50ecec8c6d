"""Streamlit's own widget texts in the page's language: `install()` (once per full run, app.py).

Streamlit writes the texts of its widgets and of the app's frame in English and has no setting for
another language: the file uploader's "Upload" and "200MB per file", the data editor's tool bar
("Add row", "Download as CSV", "Search", "Fullscreen"), the number input's "Press Enter to apply",
the main menu, "Running...". This component (st.components.v2, our own JavaScript below, nothing
drawn) watches the page with a MutationObserver and shows each such text, and each such
`aria-label`, `title` and `placeholder`, in the page's language, from `ui/locales/*/widgets.toml`:
`[st_widgets]` are whole texts, `[st_widget_patterns]` texts with a number in them (`{size}`).
Switching back to English puts Streamlit's own texts back. The page's own texts (markdown, headings,
captions, widget labels), charts and formulas are never touched.
"""
from __future__ import annotations

from functools import lru_cache

import streamlit as st

from ui import i18n

NAME = "convlab_widget_texts"
KEY = "convlab_widget_texts"
STREAMLIT_LANGUAGE = "en"  # the language Streamlit's frontend is written in

CSS = f".st-key-{KEY} {{ display: none; }}"

JS = """
// Charts and formulas: nothing in them is Streamlit's. Where the page's own texts live (already in
// the page's language): their texts are left alone, their attributes (a heading's link) are not.
const CHARTS = '.js-plotly-plot, .katex, .convlab-live-chart, .convlab-raster, .convlab-tiles, script, style';
const OWN_TEXTS = CHARTS + ', code, pre, textarea, [data-testid="stMarkdown"], [data-testid="stHeading"], '
  + '[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"], [data-testid="stCode"]';
const ATTRIBUTES = ['aria-label', 'title', 'placeholder'];

const escape = (text) => text.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&');

function compile([english, shown]) {  // "{size} per file" -> /^(.+?) per file$/ and its names
  const parts = english.split(/\\{(\\w+)\\}/);
  const names = parts.filter((_, i) => i % 2 === 1);
  const source = parts.map((part, i) => (i % 2 ? '(.+?)' : escape(part))).join('');
  const regex = new RegExp('^' + source + '$');
  return (text) => {
    const found = text.match(regex);
    return found ? shown.replace(/\\{(\\w+)\\}/g, (_, name) => found[names.indexOf(name) + 1]) : undefined;
  };
}

function makeTranslator() {
  const state = { texts: new Map(), patterns: [], changedTexts: new Map(), changedAttributes: [] };

  const translated = (value) => {  // the text in the page's language, or null when it is not Streamlit's
    const key = value.trim();
    if (!key || !/[A-Za-z]/.test(key)) return null;
    let shown = state.texts.get(key);
    for (const pattern of state.patterns) { if (shown !== undefined) break; shown = pattern(key); }
    return shown === undefined ? null : value.replace(key, shown);
  };
  const inside = (element, where) => !element || !!element.closest(where);

  const fixText = (node) => {
    if (inside(node.parentElement, OWN_TEXTS)) return;
    const shown = translated(node.nodeValue || '');
    if (shown === null) return;
    state.changedTexts.set(node, { original: node.nodeValue, shown });
    node.nodeValue = shown;
  };
  const fixAttribute = (element, name) => {
    const value = element.getAttribute(name);
    if (!value || inside(element, CHARTS)) return;
    const shown = translated(value);
    if (shown === null) return;
    state.changedAttributes.push({ element, name, original: value, shown });
    element.setAttribute(name, shown);
  };
  const scan = (root) => {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE || inside(root, CHARTS)) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.nodeType === Node.ELEMENT_NODE && node.matches(CHARTS)
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    for (let node = root; node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) fixText(node);
      else for (const name of ATTRIBUTES) if (node.hasAttribute(name)) fixAttribute(node, name);
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'characterData') fixText(record.target);
      else if (record.type === 'attributes') fixAttribute(record.target, record.attributeName);
      else record.addedNodes.forEach(scan);
    }
  });
  const restore = () => {  // Streamlit's own texts back, where nothing has changed them since
    for (const [node, { original, shown }] of state.changedTexts) if (node.nodeValue === shown) node.nodeValue = original;
    for (const { element, name, original, shown } of state.changedAttributes) {
      if (element.getAttribute(name) === shown) element.setAttribute(name, original);
    }
    state.changedTexts.clear();
    state.changedAttributes = [];
  };

  let current = '';
  return (data) => {
    const signature = data.lang + JSON.stringify(data.texts);
    if (signature === current) return;
    current = signature;
    observer.disconnect();
    restore();
    state.texts = new Map(Object.entries(data.texts || {}));
    state.patterns = (data.patterns || []).map(compile);
    document.documentElement.dataset.widgetTexts = data.lang;  // tests wait for it
    if (!state.texts.size && !state.patterns.length) return;  // Streamlit's own language
    scan(document.body);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true,
                                      attributes: true, attributeFilter: ATTRIBUTES });
  };
}

export default function (component) {
  if (!window.__convlabWidgetTexts) window.__convlabWidgetTexts = makeTranslator();
  window.__convlabWidgetTexts(component.data);
}
"""

_COMPONENT = st.components.v2.component(NAME, html="", css=CSS, js=JS, isolate_styles=False)


@lru_cache(maxsize=None)
def translations(lang: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Streamlit's English texts -> `lang`'s: whole texts, and (template, template) pairs whose
    `{name}` placeholders stand for a number or size. Empty for Streamlit's own language."""
    if lang == STREAMLIT_LANGUAGE:
        return {}, []
    own, shown = i18n.catalog(STREAMLIT_LANGUAGE), i18n.catalog(lang)
    texts = {own[key]: shown[key] for key in own if key.startswith("st_widgets.")}
    patterns = [(own[key], shown[key]) for key in own if key.startswith("st_widget_patterns.")]
    return texts, patterns


def install() -> None:
    """Show Streamlit's widget texts in the session's language (call once per full run)."""
    lang = i18n.current_language()
    texts, patterns = translations(lang)
    with st.sidebar:
        _COMPONENT(data={"lang": lang, "texts": texts, "patterns": patterns}, key=KEY)

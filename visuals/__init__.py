"""Pure figure builders: arrays in, Plotly figures (or formatted text) out. No Streamlit calls."""

"""The reference for benchmarks.ui_conv: a bare Streamlit app with one slider and one text."""
import streamlit as st

value = st.slider("value", 1, 4, 1, key="bare_value")
st.write(f"bare value {value}")

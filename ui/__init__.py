"""Streamlit-side helpers shared by every page: language, messages, page registry."""

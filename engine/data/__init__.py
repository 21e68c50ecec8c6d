"""Data that works offline: generated shapes, MNIST, the course notes' grids, built-in photos,
students' uploads (images, class-folder zips, CSV sets) read safely, and grid text parsing.

Pillow is used here (decoding and drawing); no TensorFlow, Plotly or Streamlit.
"""

"""Shape arithmetic: the output size of a sliding window (one formula), a layer stack's shapes,
parameters, multiply-adds and receptive field, and whole architectures built on it.

Pure Python/NumPy: no TensorFlow, Keras, PIL, Plotly or Streamlit.
"""

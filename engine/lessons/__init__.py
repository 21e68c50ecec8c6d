"""Helpers of single lesson pages, built on engine.ops and engine.shapes: the staged forward pass
and its backpropagation, batches for the batch-normalization lab, where pooling windows land, the
optimizer lab's loss surfaces, naive formulas beside stable ones, and the practice exercises.

No TensorFlow, Keras, PIL, Plotly or Streamlit.
"""

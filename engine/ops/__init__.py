"""The NumPy reference operations of a CNN, forward and backward, NHWC like Keras.

Convolution, pooling, dense, activations, losses, batch normalization, dropout, the optimizers'
update rules, hand-made features (Harris) and filter presets. Pure NumPy/SciPy: no TensorFlow,
Keras, PIL, Plotly or Streamlit (tests/unit/test_layering.py checks this in a subprocess).
"""

"""ConvLab's math engine: pure NumPy (SciPy where it helps), NHWC like Keras.

No Streamlit and no Plotly here. TensorFlow is imported only by the modules that train
or check models, and only inside the functions that need it.
"""

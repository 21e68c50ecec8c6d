"""Colour scales that stay readable for colour-blind viewers and on projectors.

Signed values (kernels, feature maps) use a diverging blue-white-orange scale centred on 0
(built from the Okabe-Ito blue and vermillion/orange, which remain distinct under the common
colour-vision deficiencies); magnitudes use cividis; pixel intensities use gray.
"""

DIVERGING = [
    [0.0, "#08306B"],
    [0.25, "#2F7FC1"],
    [0.5, "#F7F7F7"],
    [0.75, "#F39B4A"],
    [1.0, "#8C2D04"],
]
SEQUENTIAL = "Cividis"
# black -> white, spelled out: figures are sent unvalidated, and Plotly.js knows no "_r" names
GRAY = [[0.0, "#000000"], [1.0, "#FFFFFF"]]
PADDING = "rgba(150, 150, 150, 0.55)"      # padding cells drawn over the input
HIGHLIGHT = "#009E73"                       # Okabe-Ito bluish green: receptive field / window
WINNER = "#CC79A7"                          # Okabe-Ito reddish purple: the max that won

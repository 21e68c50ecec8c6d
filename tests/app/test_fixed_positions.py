"""AppTest: moving a page's main controls (the ones benchmarks.ui_pages times) leaves every chart
and canvas map where it was in the element tree. A chart whose position moves is rebuilt by the
browser from nothing instead of being updated in place (docs/DEVELOPING.md, "Fast pages")."""
import pytest

from tests.app.figure_data import chart_positions
from tests.app.helpers import assert_no_exception, open_page

# page, slider key, the value it is moved to
SLIDER_MOVES = [
    ("pages/conv.py", "conv_size", 136), ("pages/conv.py", "conv_sh", 2), ("pages/conv.py", "conv_k", 4),
    ("pages/pooling.py", "pool_size", 3), ("pages/pooling.py", "pool_stride", 3), ("pages/pooling.py", "pool_dx", 2),
    ("pages/softmax_dropout.py", "sm_drop_rate", 0.55),
    ("pages/harris.py", "harris_sigma", 1.5), ("pages/harris.py", "harris_k", 0.06),
    ("pages/batchnorm.py", "bn_size", 36), ("pages/batchnorm.py", "bn_gamma", 1.5), ("pages/batchnorm.py", "bn_n", 9),
    ("pages/optimizers.py", "opt_x0_elongated", -6.0), ("pages/optimizers.py", "opt_y0_elongated", 1.5),
    ("pages/backprop.py", "bp_steps", 25), ("pages/backprop.py", "bp_wb", 0), ("pages/backprop.py", "bp_wu", 2),
    ("pages/backprop.py", "bp_check_index", 5),
    ("pages/training.py", "train_shape_size", 36), ("pages/training.py", "train_shape_count", 60),
    ("pages/transfer.py", "transfer_per_class", 11), ("pages/transfer.py", "transfer_epochs", 11),
]


@pytest.mark.parametrize("path,key,value", SLIDER_MOVES, ids=[f"{p.split('/')[1]}-{k}" for p, k, _ in SLIDER_MOVES])
def test_moving_a_main_slider_keeps_every_chart_in_place(path, key, value):
    at = open_page(path)
    before = chart_positions(at)
    assert before  # the page draws charts to keep in place
    at.slider(key).set_value(value).run()
    assert_no_exception(at)
    assert chart_positions(at) == before

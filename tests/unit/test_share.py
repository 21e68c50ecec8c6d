"""Share links: every value a page can share comes back from its link text, and tampered text is refused."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import share

STRIDE = share.whole("conv_sh", 1, 4)
BIAS = share.real("conv_bias_0", -1000.0, 1000.0)
PADDING = share.choice("conv_padding", ("valid", "same", "explicit"))
RATE = share.choice("opt_lr", (0.0001, 0.001, 0.5, 100.0))
SHOWN = share.choices("opt_show", ("sgd", "momentum", "adam"))
TOGGLE = share.flag("pool_relu")
CELLS = share.grid("conv_cells_0")


@given(st.integers(1, 4))
def test_whole_numbers_round_trip(value):
    assert share.decode(STRIDE, share.encode(STRIDE, value)) == value


@given(st.floats(-1000, 1000, allow_nan=False))
def test_reals_round_trip_to_six_digits(value):
    back = share.decode(BIAS, share.encode(BIAS, value))
    assert math.isclose(back, value, rel_tol=1e-5, abs_tol=1e-9)


@pytest.mark.parametrize("param,value", [(PADDING, "same"), (RATE, 0.0001), (RATE, 100.0), (TOGGLE, True),
                                         (TOGGLE, False), (SHOWN, ["adam", "sgd"]), (SHOWN, [])])
def test_choices_and_flags_round_trip(param, value):
    assert share.decode(param, share.encode(param, value)) == value


@given(st.integers(1, 7).flatmap(lambda k: st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=k * k,
                                                     max_size=k * k)))
def test_grids_round_trip(values):
    k = int(round(len(values) ** 0.5))
    grid = np.array(values).reshape(k, k)
    np.testing.assert_allclose(share.decode(CELLS, share.encode(CELLS, grid)), grid, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("param,text", [
    (STRIDE, "0"), (STRIDE, "5"), (STRIDE, "2.5"), (STRIDE, "two"), (STRIDE, ""),
    (BIAS, "nan"), (BIAS, "inf"), (BIAS, "1e9"), (PADDING, "reflect"), (PADDING, "<b>same</b>"),
    (RATE, "0.3"), (SHOWN, "adam,adam"), (SHOWN, "adam,nadam"), (TOGGLE, "yes"),
    (CELLS, "1,2;3"), (CELLS, "1,nan;0,0"), (CELLS, ";".join([",".join(["1"] * 8)] * 8)), (CELLS, "a,b;c,d"),
    (STRIDE, "1" * 2000),
])
def test_tampered_values_are_refused(param, text):
    with pytest.raises(ValueError):
        share.decode(param, text)


def test_values_a_link_could_not_bring_back_are_left_out():
    assert share.encode(STRIDE, 9) is None
    assert share.encode(PADDING, "reflect") is None
    query = share.query_string([STRIDE, PADDING, CELLS], {"conv_sh": 9, "conv_padding": "same",
                                                          "conv_cells_0": np.eye(2)}, "ko")
    assert query == "?lang=ko&conv_padding=same&conv_cells_0=1,0;0,1"


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_any_text_gives_a_valid_value_or_a_refusal(text):
    for param in (STRIDE, BIAS, PADDING, RATE, SHOWN, TOGGLE, CELLS):
        try:
            value = share.decode(param, text)
        except ValueError:
            continue
        assert share.decode(param, share.encode(param, value)) == pytest.approx(value) \
            if param.kind != "grid" else np.allclose(share.decode(param, share.encode(param, value)), value)

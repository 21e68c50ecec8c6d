"""engine.lessons.naive_vs_stable: the textbook softmax overflows where the engine's stable one does not."""
import numpy as np
import pytest

from engine.lessons import naive_vs_stable
from engine.ops.activations import softmax


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    z = [1000.0, 999.0, 998.0]
    n = naive_vs_stable.naive_softmax(z)
    assert n.overflowed and n.failed and np.isnan(n.probs).all() and n.total == np.inf
    assert np.isfinite(softmax(np.array(z))).all()
    small = naive_vs_stable.naive_softmax([1.0, 2.0, 3.0])
    assert not small.overflowed and not small.failed
    np.testing.assert_allclose(small.probs, softmax(np.array([1.0, 2.0, 3.0])), rtol=1e-15)
    assert not naive_vs_stable.naive_softmax([709.0]).overflowed and naive_vs_stable.naive_softmax([710.0]).overflowed
    assert naive_vs_stable.FLOAT64_EXP_LIMIT == pytest.approx(709.78, abs=0.01)

"""engine.learn.models.layers_text / layers_from_text: a model's hidden layers as a link's text and back."""
import pytest
from hypothesis import given, settings, strategies as st

from engine import config
from engine.errors import EngineError
from engine.learn import models

blocks = st.builds(models.ConvBlock, st.integers(1, config.MAX_FILTERS), st.integers(1, models.MAX_KERNEL),
                   st.sampled_from(models.ACTIVATIONS), st.sampled_from(models.PADDINGS),
                   st.sampled_from(models.POOLS), st.booleans(), st.sampled_from([0.0, 0.05, 0.25, 0.5, 0.9]))
dense = st.builds(models.DenseLayer, st.integers(1, config.MAX_UNITS), st.sampled_from(models.ACTIVATIONS),
                  st.sampled_from([0.0, 0.1, 0.4]))
specs = st.builds(models.ModelSpec, st.lists(blocks, min_size=1, max_size=config.MAX_CONV_BLOCKS).map(tuple),
                  st.lists(dense, max_size=config.MAX_DENSE_LAYERS).map(tuple), st.sampled_from(models.HEADS))


@settings(max_examples=60, deadline=None)
@given(specs)
def test_every_spec_comes_back_from_its_text(spec):
    assert models.layers_from_text(models.layers_text(spec), spec.head) == models.checked(spec)


def test_the_presets_text_reads_like_the_tables():
    assert models.layers_text(models.PRESETS["tiny"]) == "8,3,relu,valid,max,0,0|"
    assert models.layers_text(models.PRESETS["bn_dropout"]).endswith("|32,relu,0.4")


@pytest.mark.parametrize("text", ["", "|", "8,3,relu|", "8,3,relu,valid,max,0,0,1|", "8.5,3,relu,valid,max,0,0|",
                                  "8,3,relu,valid,max,yes,0|", "8,3,relu,valid,max,0,1|", "8,3,relu,valid,max,0,0|0,relu,0",
                                  "8,3,relu,valid,max,0,0|64,relu", "inf,3,relu,valid,max,0,0|"])
def test_anything_else_is_refused(text):
    with pytest.raises(EngineError):
        models.layers_from_text(text)

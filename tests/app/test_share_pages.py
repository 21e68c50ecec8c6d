"""AppTest: the Share links of the forward-pass, training studio, transfer and architectures pages.
Settings changed with the widgets come back from the link the popover shows; a tampered link keeps
the defaults, says which settings in the page's language, and raises nothing."""
import re
from pathlib import Path

import pytest

from engine.data import datasets
from engine.learn import models
from engine.shapes import layers as layers_module
from tests.app.helpers import assert_no_exception, open_link, page_params, shared_link
from tests.app.test_forward_page import fake_model
from ui import registry, share
from ui.i18n import translate
from ui.safe_text import markdown_text

ROOT = Path(__file__).resolve().parents[2]
FORWARD, TRAINING = "pages/forward.py", "pages/training.py"
TRANSFER, ARCHITECTURES = "pages/transfer.py", "pages/architectures.py"


def refused_names(at, lang: str) -> set[str]:
    """The settings the page's translated "not valid" notices name (one notice or several)."""
    head, tail = translate(lang, "share.refused", names="\0").split("\0")
    names = set()
    for warning in at.warning:
        if warning.value.startswith(head):
            assert warning.value.endswith(tail)
            names.update(warning.value[len(head):len(warning.value) - len(tail)].split(", "))
    return names


def assert_refused(at, lang: str, keys) -> None:
    assert_no_exception(at)
    assert refused_names(at, lang) == {markdown_text(k) for k in keys}


def link_texts(page_path: str, at) -> dict[str, str]:
    """The page's declared settings as a link would write them, from the widgets' values."""
    params = page_params(page_path)
    return {p.key: share.encode(p, at.session_state[p.key]) for p in params
            if p.kind not in share.PAGE_KEPT and p.key in at.session_state}


def assert_round_trip(page_path: str, at, changed: dict[str, str]) -> object:
    """The popover's link carries `changed` (and only declared settings); opened in a new session, it
    sets every widget to the same value, with no notice."""
    link = shared_link(at)
    assert_no_exception(at)
    assert {k: link[k] for k in changed} == changed
    declared = {p.key for p in page_params(page_path)}
    assert set(link) - {"lang"} <= declared
    again = open_link(page_path, link)
    assert_no_exception(again)
    assert not again.warning and not again.error
    shown = link_texts(page_path, again)
    kept = {p.key for p in page_params(page_path) if p.kind in share.PAGE_KEPT}
    assert {k: shown[k] for k in link if k != "lang" and k not in kept} == \
        {k: v for k, v in link.items() if k != "lang" and k not in kept}
    if kept & set(link):  # page-kept values are not in the session: the new session's link shows them
        assert {k: v for k, v in shared_link(again).items() if k in kept} == {k: link[k] for k in kept & set(link)}
    return again


def full_mnist() -> bool:
    return datasets.load_mnist(prefer_full=True).source == "keras_full"


# ------------------------------------------------------------------ forward pass


def test_forward_link_round_trips_the_image_network_and_inspected_cell():
    at = open_link(FORWARD, {"lang": "en"})
    at.radio(key="fwd_source").set_value("shape").run()
    at.selectbox(key="fwd_shape").set_value("circle").run()
    at.number_input(key="fwd_seed").set_value(7).run()
    at.radio(key="fwd_dense").set_value("random").run()
    at.number_input(key="fwd_dense_seed").set_value(3).run()
    at.selectbox(key="fwd_stage").set_value(4).run()
    at.slider(key="fwd_row_4").set_value(2).run()
    at.slider(key="fwd_col_4").set_value(9).run()
    at.selectbox(key="fwd_ch_4").set_value(2).run()
    assert_no_exception(at)
    codes = [str(c.value) for c in at.code]
    changed = {"fwd_weights": "handmade", "fwd_source": "shape", "fwd_shape": "circle", "fwd_seed": "7",
               "fwd_dense": "random", "fwd_dense_seed": "3", "fwd_stage": "4", "fwd_row_4": "2", "fwd_col_4": "9",
               "fwd_ch_4": "2"}
    again = assert_round_trip(FORWARD, at, changed)
    assert (again.slider(key="fwd_row_4").value, again.slider(key="fwd_col_4").value) == (2, 9)
    assert again.selectbox(key="fwd_ch_4").value == 2
    assert [str(c.value) for c in again.code] == codes  # the same cell, the same numbers


def test_forward_tampered_link_keeps_the_defaults():
    at = open_link(FORWARD, {"lang": "ko", "fwd_weights": "trained", "fwd_digit": "99999", "fwd_stage": "12",
                             "fwd_row_2": "26", "fwd_dense": "learned", "fwd_seed": "5", "fwd_secret": "1"})
    assert_refused(at, "ko", ["fwd_weights", "fwd_digit", "fwd_stage", "fwd_row_2", "fwd_dense", "fwd_secret"])
    assert at.number_input(key="fwd_digit").value == 3500
    assert at.radio(key="fwd_dense").value == "templates"
    assert at.selectbox(key="fwd_stage").value == 2
    assert at.slider(key="fwd_row_2").value == 13
    assert at.session_state["fwd_seed"] == 5  # the valid one is kept
    at.slider(key="fwd_row_2").set_value(4).run()  # applied once, not on every rerun
    assert at.slider(key="fwd_row_2").value == 4 and not at.warning


def test_forward_link_class_that_the_shapes_network_has_not_is_dropped_with_the_notice():
    """fwd_unit_6 is declared for the digits' 10 classes; the shapes' network has 3."""
    at = open_link(FORWARD, {"lang": "en", "fwd_source": "shape", "fwd_stage": "6", "fwd_unit_6": "7"})
    assert_refused(at, "en", ["fwd_unit_6"])
    assert at.selectbox(key="fwd_unit_6").value in range(len(datasets.SHAPE_CLASSES))


def test_forward_link_of_a_trained_model_carries_the_image_only():
    at = open_link(FORWARD, {"lang": "en"})
    at.session_state["trained_model"] = fake_model()
    at.run()
    at.radio(key="fwd_weights").set_value("trained").run()
    at.number_input(key="fwd_digit").set_value(12).run()
    link = shared_link(at)
    assert_no_exception(at)
    assert set(link) == {"lang", "fwd_source", "fwd_digit"} and link["fwd_digit"] == "12"


# ------------------------------------------------------------------ training studio


def test_training_link_round_trips_data_augmentation_model_and_training_settings():
    at = open_link(TRAINING, {"lang": "en"})
    for key, value in (("train_shape_size", 32), ("train_shape_count", 60), ("train_line_width", 3),
                       ("train_jitter", 0.5), ("train_noise", 0.1), ("train_val", 0.25), ("train_test", 0.15),
                       ("train_aug_rotation", 10), ("train_aug_wshift", 0.1), ("train_aug_zoom", 0.2),
                       ("train_epochs", 7)):
        at.slider(key=key).set_value(value).run()
    at.number_input(key="train_shape_seed").set_value(5).run()
    at.checkbox(key="train_aug_hflip").check().run()
    at.selectbox(key="train_preset").set_value("mnist_notes").run()
    at.radio(key="train_head").set_value("gap").run()
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    at.select_slider(key="train_lr").set_value(0.01).run()
    at.select_slider(key="train_batch").set_value(64).run()
    at.number_input(key="train_seed").set_value(42).run()
    at.radio(key="train_encoding").set_value("integer").run()
    assert_no_exception(at)
    metrics = [(m.label, m.value) for m in at.metric]
    changed = {"train_source": "shapes", "train_shape_size": "32", "train_shape_count": "60", "train_line_width": "3",
               "train_jitter": "0.5", "train_noise": "0.1", "train_shape_seed": "5", "train_val": "0.25",
               "train_test": "0.15", "train_aug_rotation": "10", "train_aug_wshift": "0.1", "train_aug_zoom": "0.2",
               "train_aug_hflip": "1", "train_aug_vflip": "0", "train_preset": "mnist_notes", "train_head": "gap",
               "train_optimizer": "sgd", "train_lr": "0.01", "train_batch": "64", "train_epochs": "7",
               "train_seed": "42", "train_encoding": "integer"}
    again = assert_round_trip(TRAINING, at, changed)
    assert again.slider(key="train_shape_size").value == 32 and again.checkbox(key="train_aug_hflip").value
    assert again.select_slider(key="train_lr").value == 0.01
    assert [m.value for m in again.metric] == [v for _, v in metrics]  # the same split, the same model


def test_training_link_carries_the_layer_tables_as_edited():
    """A teacher's own model (rows added, values changed) comes back from the link: the same tables,
    the same parameter count as the engine's summary of those layers, and the same link again."""
    layers = "12,5,tanh,same,avg,1,0.1;24,3,relu,valid,none,0,0|48,elu,0.25;16,relu,0"
    spec = models.layers_from_text(layers, "flatten")
    at = open_link(TRAINING, {"lang": "en", "train_preset": "tiny", "train_layers": layers})
    assert_no_exception(at)
    assert not at.warning
    split_shape, classes = (24, 24, 1), len(datasets.SHAPE_CLASSES)
    total, _, _ = layers_module.totals(models.summary(spec, split_shape, classes))
    shown = {m.label: m.value for m in at.metric}
    assert shown[translate("en", "train.total_params")] == f"{total:,}"
    assert shared_link(at)["train_layers"] == layers
    at.selectbox(key="train_preset").set_value("mnist_notes").run()  # another preset keeps its own layers
    assert shared_link(at)["train_layers"] == models.layers_text(models.PRESETS["mnist_notes"])
    at.selectbox(key="train_preset").set_value("tiny").run()  # ... and the linked one comes back
    assert shared_link(at)["train_layers"] == layers


@pytest.mark.parametrize("layers", ["", "8,3,relu,valid,max,0,0", "0,3,relu,valid,max,0,0|", "8,3,relu,valid,max,2,0|",
                                    "8,3,relu,valid,max,0,nan|", "8,3,relu,valid,max,0,0|64,softmax,0",
                                    ";".join(["8,3,relu,same,none,0,0"] * 40) + "|"])
def test_training_tampered_layers_keep_the_presets_tables(layers):
    at = open_link(TRAINING, {"lang": "ko", "train_layers": layers})
    assert_refused(at, "ko", ["train_layers"])
    assert shared_link(at)["train_layers"] == models.layers_text(models.PRESETS["tiny"])


def test_training_link_round_trips_the_mnist_counts():
    at = open_link(TRAINING, {"lang": "en"})
    at.radio(key="train_source").set_value("mnist").run()
    at.slider(key="train_mnist_test").set_value(300).run()
    at.slider(key="train_mnist_train").set_value(700).run()
    again = assert_round_trip(TRAINING, at, {"train_source": "mnist", "train_mnist_test": "300",
                                             "train_mnist_train": "700"})
    assert (again.slider(key="train_mnist_test").value, again.slider(key="train_mnist_train").value) == (300, 700)


def test_training_tampered_link_keeps_the_defaults():
    at = open_link(TRAINING, {"lang": "ko", "train_source": "imagenet", "train_shape_size": "13", "train_epochs": "0",
                              "train_lr": "0.5", "train_aug_hflip": "yes", "train_noise": "nan", "train_batch": "64",
                              "train_blocks_tiny": "1", "train_zip": "x"})
    assert_refused(at, "ko", ["train_source", "train_shape_size", "train_epochs", "train_lr", "train_aug_hflip",
                              "train_noise", "train_blocks_tiny", "train_zip"])
    assert at.radio(key="train_source").value == "shapes"
    assert at.slider(key="train_shape_size").value == 24
    assert at.slider(key="train_epochs").value == 5
    assert at.select_slider(key="train_lr").value == 0.001
    assert not at.checkbox(key="train_aug_hflip").value
    assert at.slider(key="train_noise").value == 0.05
    assert at.select_slider(key="train_batch").value == 64  # the valid one is kept
    at.slider(key="train_epochs").set_value(2).run()
    assert at.slider(key="train_epochs").value == 2 and not at.warning


def test_training_link_counts_this_servers_mnist_has_not_are_dropped_with_the_notice():
    if full_mnist():
        pytest.skip("the full MNIST cache is present: 5,000 test digits exist")
    at = open_link(TRAINING, {"lang": "en", "train_source": "mnist", "train_mnist_test": "5000",
                              "train_mnist_train": "3000"})
    assert_refused(at, "en", ["train_mnist_test"])
    assert at.slider(key="train_mnist_test").value == 1000  # the default
    assert at.slider(key="train_mnist_train").value == 3000


# ------------------------------------------------------------------ transfer learning


def test_transfer_link_round_trips_the_comparison_settings():
    at = open_link(TRANSFER, {"lang": "en"})
    at.radio(key="transfer_task").set_value("shapes").run()
    for key, value in (("transfer_per_class", 5), ("transfer_epochs", 4), ("transfer_unfreeze", 2),
                       ("transfer_source_per_class", 200), ("transfer_pretrain_epochs", 2)):
        at.slider(key=key).set_value(value).run()
    at.select_slider(key="transfer_lr").set_value(0.003).run()
    at.select_slider(key="transfer_batch").set_value(32).run()
    at.number_input(key="transfer_seed").set_value(9).run()
    assert_no_exception(at)
    plan = [str(m.value) for m in at.markdown]  # the intro and what will be trained
    changed = {"transfer_task": "shapes", "transfer_base": "mnist_notes", "transfer_per_class": "5",
               "transfer_epochs": "4", "transfer_unfreeze": "2", "transfer_source_per_class": "200",
               "transfer_pretrain_epochs": "2", "transfer_lr": "0.003", "transfer_batch": "32", "transfer_seed": "9"}
    again = assert_round_trip(TRANSFER, at, changed)
    assert again.slider(key="transfer_unfreeze").value == 2
    assert [str(m.value) for m in again.markdown] == plan


def test_transfer_tampered_link_keeps_the_defaults():
    at = open_link(TRANSFER, {"lang": "ko", "transfer_task": "cifar", "transfer_base": "imagenet:evil.h5",
                              "transfer_epochs": "1", "transfer_unfreeze": "11", "transfer_seed": "-1",
                              "transfer_per_class": "3", "transfer_secret": "1"})
    assert_refused(at, "ko", ["transfer_task", "transfer_base", "transfer_epochs", "transfer_unfreeze",
                              "transfer_seed", "transfer_secret"])
    assert at.radio(key="transfer_task").value == "digits"
    assert at.selectbox(key="transfer_base").value == "mnist_notes"
    assert at.slider(key="transfer_epochs").value == 10
    assert at.slider(key="transfer_unfreeze").value == 1
    assert at.slider(key="transfer_per_class").value == 3  # the valid one is kept
    at.slider(key="transfer_epochs").set_value(3).run()
    assert at.slider(key="transfer_epochs").value == 3 and not at.warning


def test_transfer_link_pretraining_count_this_servers_mnist_has_not_is_dropped_with_the_notice():
    if full_mnist():
        pytest.skip("the full MNIST cache is present: 1,000 digits per class exist")
    at = open_link(TRANSFER, {"lang": "en", "transfer_source_per_class": "1000", "transfer_base": "mnist_notes",
                              "transfer_unfreeze": "3"})
    assert_refused(at, "en", ["transfer_source_per_class"])
    assert at.slider(key="transfer_source_per_class").value == 300  # the default
    assert at.slider(key="transfer_unfreeze").value == 3


# ------------------------------------------------------------------ architectures


def test_architectures_link_round_trips_network_override_views_and_comparisons():
    at = open_link(ARCHITECTURES, {"lang": "en"})
    at.selectbox(key="arch_model").set_value("resnet50").run()
    at.slider(key="arch_size_resnet50").set_value(160).run()
    at.select_slider(key="arch_width").set_value(0.5).run()
    at.selectbox(key="arch_layer_resnet50").set_value("conv2_block1_1_conv").run()
    at.number_input(key="arch_filters_resnet50_conv2_block1_1_conv_x0.5").set_value(40).run()
    row = at.selectbox(key="arch_row_resnet50").options[10]
    at.selectbox(key="arch_row_resnet50").set_value(row).run()
    at.session_state["arch_tab"] = translate("en", "arch.tab_blocks")  # the tabs are lazy: open each
    at.run()
    at.radio(key="arch_diagram").set_value("se").run()
    block = at.selectbox(key="arch_block_se").options[2]
    at.selectbox(key="arch_block_se").set_value(block).run()
    at.session_state["arch_tab"] = translate("en", "arch.tab_compare")
    at.run()
    at.radio(key="arch_cmp_layers").set_value(3).run()
    at.number_input(key="arch_cmp_channels").set_value(64).run()
    at.number_input(key="arch_inc_cin").set_value(256).run()
    at.radio(key="arch_inc_kernel").set_value(3).run()
    assert_no_exception(at)
    assert not at.warning and not at.error  # the override fits
    metrics = [m.value for m in at.metric]
    changed = {"arch_model": "resnet50", "arch_size_resnet50": "160", "arch_width": "0.5",
               "arch_layer_resnet50": "conv2_block1_1_conv", "arch_filters_resnet50_conv2_block1_1_conv_x0.5": "40",
               "arch_row_resnet50": row, "arch_diagram": "se", "arch_block_se": block, "arch_cmp_layers": "3",
               "arch_cmp_channels": "64", "arch_inc_cin": "256", "arch_inc_kernel": "3",
               "arch_tab": translate("en", "arch.tab_compare")}
    again = assert_round_trip(ARCHITECTURES, at, changed)
    assert again.number_input(key="arch_filters_resnet50_conv2_block1_1_conv_x0.5").value == 40
    assert again.radio(key="arch_cmp_layers").value == 3  # the link opens the tab it was made on
    again.session_state["arch_tab"] = translate("en", "arch.tab_blocks")
    again.run()
    assert again.selectbox(key="arch_block_se").value == block  # a closed tab's settings were kept
    assert [m.value for m in again.metric] == metrics  # the same network, the same totals


def test_architectures_tampered_link_keeps_the_defaults():
    at = open_link(ARCHITECTURES, {"lang": "ko", "arch_model": "lenet5", "arch_size_alexnet": "10", "arch_width": "3",
                                   "arch_layer_alexnet": "conv99", "arch_filters_alexnet_conv1_x1": "0",
                                   "arch_cmp_channels": "many", "arch_inc_kernel": "3", "arch_secret": "1"})
    assert_refused(at, "ko", ["arch_model", "arch_size_alexnet", "arch_width", "arch_layer_alexnet",
                              "arch_filters_alexnet_conv1_x1", "arch_cmp_channels", "arch_secret"])
    assert at.selectbox(key="arch_model").value == "alexnet"
    assert at.slider(key="arch_size_alexnet").value == 227
    assert at.select_slider(key="arch_width").value == 1.0
    at.session_state["arch_tab"] = translate("ko", "arch.tab_compare")  # the tabs are lazy
    at.run()
    assert at.number_input(key="arch_cmp_channels").value == 1
    assert at.radio(key="arch_inc_kernel").value == 3  # the valid one is kept
    at.number_input(key="arch_cmp_channels").set_value(8).run()
    assert at.number_input(key="arch_cmp_channels").value == 8 and not at.warning


def test_every_declared_default_can_be_shared():
    """Each page's link, opened as it is, changes nothing and refuses nothing (a declaration that
    does not take a widget's own default would drop it from every link)."""
    for page_path in (FORWARD, TRAINING, TRANSFER, ARCHITECTURES):
        at = open_link(page_path, {"lang": "en"})
        texts = link_texts(page_path, at)
        assert texts and None not in texts.values(), [k for k, v in texts.items() if v is None]
        again = open_link(page_path, {"lang": "en", **texts})
        assert_no_exception(again)
        assert not again.warning and link_texts(page_path, again) == texts


@pytest.mark.parametrize("info", registry.LESSONS, ids=lambda info: info.key)
def test_every_teaching_page_has_a_share_link(info):
    """The README's promise: every lesson declares its settings, restores them under its own prefix
    (a key outside it would never come back from a link) and draws the Share popover."""
    source = (ROOT / info.path).read_text()
    prefix = re.search(r'\nshare\.restore\(share_params\(\), "(\w+)"\)', source).group(1)
    assert "share.share_popover(" in source
    keys = [p.key for p in page_params(info.path)]
    assert keys and all(k.startswith(prefix) for k in keys) and len(set(keys)) == len(keys)

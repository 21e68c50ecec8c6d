"""What a share link of the training studio carries."""
from __future__ import annotations

from engine import config
from engine.data import uploads
from engine.learn import models, training
from ui import share
from ui.studio.data import SOURCES
from ui.studio.run import BATCH_SIZES, LEARNING_RATES


def slider_values(low: int, high: int, step: int) -> range:
    """The values a whole-number slider with this step takes."""
    return range(low, high + 1, step)


def share_params() -> list[share.Param]:
    """What a share link of this page carries: the data source and its options, the split,
    augmentation, the model (preset, the layer tables as edited, head) and the training settings. Not
    the uploads, the CSV's columns or the trained model (they stay in their session).
    MNIST's counts are declared for the largest set a server may have (keep_in_range checks them)."""
    room, values = config.MAX_TRAIN_IMAGES, slider_values
    return [share.choice("train_source", SOURCES), share.choice("train_shape_size", values(12, 64, 4)),
            share.choice("train_shape_count", values(20, 1000, 20)), share.whole("train_line_width", 1, 4),
            share.real("train_jitter", 0.0, 2.0), share.real("train_noise", 0.0, 0.3),
            share.whole("train_shape_seed", 0, 9999), share.choice("train_mnist_test", values(100, room // 2, 100)),
            share.choice("train_mnist_train", values(200, room - 100, 100)),
            share.choice("train_target_size", values(16, config.MAX_INPUT_SIDE, 4)),
            share.choice("train_color", uploads.COLOR_MODES), share.real("train_val", 0.0, 0.4),
            share.real("train_test", 0.05, 0.4), share.choice("train_aug_rotation", values(0, 90, 5)),
            *[share.real(f"train_aug_{name}", 0.0, high) for name, high in
              (("wshift", 0.3), ("hshift", 0.3), ("shear", 0.5), ("zoom", 0.5), ("brightness", 0.5))],
            share.flag("train_aug_hflip"), share.flag("train_aug_vflip"),
            share.choice("train_preset", models.PRESET_NAMES), share.choice("train_head", models.HEADS),
            share.choice("train_optimizer", training.OPTIMIZERS), share.choice("train_lr", LEARNING_RATES),
            share.choice("train_batch", BATCH_SIZES), share.whole("train_epochs", 1, config.MAX_EPOCHS),
            share.whole("train_seed", 0, 99999), share.choice("train_encoding", training.ENCODINGS),
            share.parsed("train_layers", models.layers_from_text)]

"""The training studio's sections, one topic per module; pages/training.py keeps the page's flow.

data (sources, split, what was found), augment (random transforms and their preview), model (preset,
layer tables, summary, Keras code), run (settings and the training job), inside (scores, one image's
softmax and feature maps, filters, why the model decided), files (download, notebook, load), links
(what a share link carries), state (the session keys the sections share)."""

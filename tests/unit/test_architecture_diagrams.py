"""visuals.architecture_diagrams: one box per layer, one arrow per tensor, each arrow labelled with
the engine's shape; skip connections go round the boxes of their column."""
from engine.shapes import architectures as A
from visuals import architecture_diagrams as D


def labels(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations if not a.showarrow and not a.text.startswith("<b>")]


def test_inception_module_boxes_arrows_and_shapes():
    g = A.build("googlenet")
    nodes = g.block_nodes("inception_3a")
    fig = D.block_figure(nodes, {}, "t")
    assert len(fig.layout.shapes) == len(nodes) == 9
    edges = sum(len(n.inputs) for n in nodes[1:])
    assert sum(1 for a in fig.layout.annotations if a.showarrow) == edges == 11
    assert labels(fig).count("28×28×192") == 5  # pool2 into each branch, the 3×3 pool into its 1×1
    assert {"28×28×64", "28×28×128", "28×28×32"} <= set(labels(fig))


def test_identity_shortcut_runs_down_a_lane_beside_the_main_path():
    g = A.build("resnet50")
    fig = D.block_figure(g.block_nodes("conv2_block2"), {}, "t")
    x, depth = D.layout(g.block_nodes("conv2_block2"))
    assert len(set(x.values())) == 1  # one column: the skip needs the lane
    lane = [tr for tr in fig.data if max(tr.x) > max(x.values()) + 0.5]
    assert len(lane) == 1 and "56×56×256" in labels(fig)


def test_se_block_shapes_come_from_the_engine():
    g = A.build("se_resnet50", 64)
    fig = D.block_figure(g.block_nodes("conv3_block1_se"), {"dense": "FC"}, "t")
    assert {"8×8×512", "512", "32", "1×1×512"} <= set(labels(fig))
    assert any(a.text.startswith("<b>FC</b><br>32, relu") for a in fig.layout.annotations)

"""Shape arithmetic against PyTorch's formula, worked by hand in the comments."""
import pytest

from sramfit import engine
from sramfit.engine.graph import Model, make_layer


def stage_shapes(fp, names):
    return {n: fp.shapes[n] for n in names}


RESNET_STAGES = ["conv1", "maxpool", "layer1.2.conv3", "layer2.3.conv3", "layer3.5.conv3",
                 "layer4.2.conv3"]


@pytest.mark.parametrize("w,h,expected", [
    # conv1 7x7/2 p3: floor((H+6-7)/2)+1; maxpool 3/2 p1: floor((H+2-3)/2)+1;
    # stride-2 3x3 p1 convs: floor((H+2-3)/2)+1.
    # 1080: 540 -> 270 -> 270 -> 135 -> 68 -> 34;  1920: 960 -> 480 -> 480 -> 240 -> 120 -> 60
    (1920, 1080, [(64, 540, 960), (64, 270, 480), (256, 270, 480), (512, 135, 240),
                  (1024, 68, 120), (2048, 34, 60)]),
    # 720: 360 -> 180 -> 180 -> 90 -> 45 -> 23;  1280: 640 -> 320 -> 320 -> 160 -> 80 -> 40
    (1280, 720, [(64, 360, 640), (64, 180, 320), (256, 180, 320), (512, 90, 160),
                 (1024, 45, 80), (2048, 23, 40)]),
    # 225: floor(224/2)+1 = 113 -> floor(112/2)+1 = 57 -> 57 -> 29 -> 15 -> 8
    (225, 225, [(64, 113, 113), (64, 57, 57), (256, 57, 57), (512, 29, 29),
                (1024, 15, 15), (2048, 8, 8)]),
])
def test_resnet50_odd_sizes(w, h, expected):
    fp = engine.analyze("resnet50", w, h)
    assert [fp.shapes[n] for n in RESNET_STAGES] == expected


def one_layer(op, **attrs):
    return Model("t", (make_layer("x", op, ["input"], attrs),), channels=4)


@pytest.mark.parametrize("size,kernel,stride,pad,ceil,expected", [
    (3, 2, 2, 1, True, 2),    # ceil((3+2-2)/2)+1 = 3, but window 3 would start in padding -> 2
    (3, 2, 2, 1, False, 2),   # floor(3/2)+1 = 2
    (5, 2, 2, 0, True, 3),    # ceil(3/2)+1 = 3
    (5, 2, 2, 0, False, 2),   # floor(3/2)+1 = 2
    (113, 3, 2, 0, True, 56),  # GoogLeNet maxpool1 at 225: ceil(110/2)+1 = 56
    (112, 3, 2, 0, True, 56),  # ceil(109/2)+1 = 56
])
def test_pool_ceil_mode(size, kernel, stride, pad, ceil, expected):
    m = one_layer("pool", mode="max", kernel=kernel, stride=stride, padding=pad,
                  ceil_mode=ceil)
    fp = engine.analyze(m, size, size)
    assert fp.shapes["x"] == (4, expected, expected)


def test_conv_dilation_groups_and_asymmetric_padding():
    # H=10, k=3, d=2, p=(top 1, bottom 2), s=1: floor((10+3-2*2-1)/1)+1 = 9
    # W=10, k=3, d=2, p=(left 0, right 0): floor((10-4-1)/1)+1 = 6
    m = one_layer("conv", out=8, kernel=3, dilation=2, padding=[1, 0, 2, 0], groups=2)
    fp = engine.analyze(m, 10, 10)
    assert fp.shapes["x"] == (8, 9, 6)
    # params: 8 * (4/2) * 3*3 + 8 bias = 152; MACs: 8*9*6 * 2*9 = 7776
    assert fp.totals()["params"] == 152
    assert fp.totals()["macs"] == 7776


def test_same_padding_matches_tf_rule():
    # SAME: out = ceil(H/s) -> 17/2 -> 9
    m = one_layer("conv", out=2, kernel=3, stride=2, padding="same")
    assert engine.analyze(m, 17, 17).shapes["x"] == (2, 9, 9)


def test_yolov3_needs_multiples_and_names_nearest_sizes():
    with pytest.raises(engine.ShapeError) as err:
        engine.analyze("yolov3", 1920, 1080)
    msg = str(err.value)
    assert "1920x1080" in msg and "route" in msg
    assert "1920x1088" in msg and "1920x1056" in msg


@pytest.mark.parametrize("model,w,h", [("vgg16", 16, 16), ("vgg16", 20, 31),
                                       ("yolov3", 8, 8)])
def test_too_small_input_is_a_clear_error(model, w, h):
    with pytest.raises(engine.ShapeError) as err:
        engine.analyze(model, w, h)
    assert f"{w}x{h}" in str(err.value)
    assert "nearest sizes that work" in str(err.value) or "too small" in str(err.value)


@pytest.mark.parametrize("kwargs,field", [
    ({"width": 0, "height": 10}, "width"), ({"width": 10, "height": -1}, "height"),
    ({"width": 100_000, "height": 1000}, "width"), ({"batch": 0}, "batch"),
    ({"weights": "int3"}, "precision"), ({"width": 1.5, "height": 10}, "width"),
])
def test_bad_settings_name_the_field(kwargs, field):
    kwargs.setdefault("width", 224)
    kwargs.setdefault("height", 224)
    w, h = kwargs.pop("width"), kwargs.pop("height")
    with pytest.raises(engine.InputError) as err:
        engine.analyze("resnet18", w, h, **kwargs)
    assert field in str(err.value)


def test_fusion_merges_elementwise_layers():
    fused = engine.analyze("resnet50", 224, 224)
    plain = engine.analyze("resnet50", 224, 224, fusion=False)
    model = engine.zoo.get("resnet50")
    assert len(plain.steps) == len(model.layers)
    # every conv anchors one step; only the pools, flatten and fc stand alone
    convs = sum(1 for layer in model.layers if layer.op == "conv")
    assert len(fused.steps) == convs + 4
    assert fused.totals()["params"] == plain.totals()["params"]
    assert fused.totals()["macs"] == plain.totals()["macs"]
    # unfused: bn and relu outputs are written too, so more activation bytes
    assert plain.totals()["sum_activation_bytes"] > 2 * fused.totals()["sum_activation_bytes"]
    row = {r["name"]: r for r in fused.layer_rows()}["layer1.0.conv3"]
    assert row["fused"] == ["layer1.0.bn3"]
    ds = {r["name"]: r for r in fused.layer_rows()}["layer1.0.downsample.0"]
    assert ds["fused"] == ["layer1.0.downsample.1", "layer1.0.add", "layer1.0.relu"]
    assert set(ds["inputs"]) == {"maxpool", "layer1.0.conv3"}

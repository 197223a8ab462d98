"""Darknet .cfg import: the shipped yolov3 / yolov3-tiny cfgs against the built-ins and
PyTorch's records; small cfgs with hand arithmetic; malformed files."""
from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, ROOT
from sramfit.engine import zoo
from sramfit.engine.errors import ModelError
from sramfit.engine.footprint import Footprint
from sramfit.engine.importers import darknet
from sramfit.engine.modelfile import load_model
from sramfit.engine.shapes import infer_shapes

CFG = ROOT / "profiles" / "models"


@pytest.mark.parametrize("cfg,builtin", [("yolov3", "yolov3"), ("yolov3-tiny", "yolov3_tiny")])
@pytest.mark.parametrize("w,h", [(416, 416), (1920, 1088)])
def test_cfg_equals_builtin(cfg, builtin, w, h):
    mine = Footprint(load_model(str(CFG / f"{cfg}.cfg")), w, h)
    ref = Footprint(zoo.get(builtin), w, h)
    assert mine.totals() == ref.totals()
    assert mine.activation_bytes.tolist() == ref.activation_bytes.tolist()
    assert [s.name for s in mine.steps] == [s.name for s in ref.steps]
    assert int(mine.activation_bytes.max()) == int(ref.activation_bytes.max())


@pytest.mark.parametrize("cfg,ref", [("yolov3", "yolov3_416x416"),
                                     ("yolov3", "yolov3_1920x1088"),
                                     ("yolov3-tiny", "yolov3_tiny_416x416"),
                                     ("yolov3-tiny", "yolov3_tiny_1920x1088")])
def test_cfg_matches_pytorch_records(cfg, ref):
    with open(FIXTURES / "torch_refs" / f"{ref}.json", encoding="utf-8") as fh:
        rec = json.load(fh)
    _, _, h, w = rec["input"]
    model = darknet.load(CFG / f"{cfg}.cfg")
    fp = Footprint(model, w, h)
    assert fp.totals()["params"] == rec["params"]
    assert fp.totals()["macs"] == rec["conv_fc_macs"]
    shapes = infer_shapes(model, w, h)
    convs = [lay for lay in model.layers if lay.op == "conv"]
    assert [[1, *shapes[c.name]] for c in convs] == [r["out_shape"] for r in rec["layers"]]


def test_cfg_defaults_and_names():
    m = darknet.load(CFG / "yolov3-tiny.cfg")
    assert m.default_size == (416, 416) and m.channels == 3
    assert m.layer("011_maxpool").attrs["padding"] == (0, 0, 1, 1)
    assert m.layer("020_route").inputs == ("019_upsample", "008_leaky")
    assert m.layer("015_conv").attrs["bias"] and not m.layer("000_conv").attrs["bias"]


SMALL = """[net]
width=32
height=24
channels=3

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=relu

[maxpool]
size=3
stride=2

[convolutional]
filters=8
size=3
groups=8
pad=1
batch_normalize=1
activation=mish

[shortcut]
from=-2
activation=leaky

[route]
layers=-1
groups=2
group_id=1

[dropout]
probability=.5

[avgpool]

[connected]
output=10
activation=linear

[softmax]
"""


def test_small_cfg_by_hand(tmp_path):
    p = tmp_path / "small.cfg"
    p.write_text(SMALL)
    m = darknet.load(p)
    ops = [(lay.name, lay.op) for lay in m.layers]
    assert ops == [("000_conv", "conv"), ("000_relu", "act"), ("001_maxpool", "pool"),
                   ("002_conv", "conv"), ("002_bn", "norm"), ("002_mish", "act"),
                   ("003_shortcut", "add"), ("003_leaky", "act"), ("004_route", "concat"),
                   ("006_avgpool", "pool"), ("007_connected", "fc"),
                   ("008_softmax", "softmax")]
    s = infer_shapes(m, 32, 24)
    assert s["000_conv"] == (8, 12, 16)              # (24+2-3)//2+1, (32+2-3)//2+1
    # darknet maxpool: padding = size-1 = 2 -> 1 top/left, 1 bottom/right
    assert m.layer("001_maxpool").attrs["padding"] == (1, 1, 1, 1)
    assert s["001_maxpool"] == (8, 6, 8)             # (12+2-3)//2+1, (16+2-3)//2+1
    assert s["004_route"] == (4, 6, 8)               # groups=2: half the channels
    assert s["007_connected"] == (10,)
    t = Footprint(m, 32, 24).totals()
    # conv0 8*3*9+8 bias ; conv2 depthwise 8*1*9 + BN 16 ; fc 4*10+10
    assert t["params"] == (216 + 8) + (72 + 16) + (40 + 10)
    assert t["macs"] == 8 * 12 * 16 * 27 + 8 * 6 * 8 * 9 + 40


def test_yolo_layer_has_no_tensor(tmp_path):
    p = tmp_path / "y.cfg"
    p.write_text("[net]\nwidth=64\nheight=64\n[convolutional]\nfilters=18\nsize=1\n"
                 "activation=linear\n[yolo]\nmask=0,1,2\nclasses=1\n[route]\nlayers=-2\n"
                 "[upsample]\nstride=2\n")
    m = darknet.load(p)
    assert [lay.op for lay in m.layers] == ["conv", "upsample"]
    assert m.layer("003_upsample").inputs == ("000_conv",)


@pytest.mark.parametrize("text,match", [
    ("[net]\nwidth=32\n[convolutional]\nsize=3\n", r"bad\.cfg:3: \[convolutional\] \(layer 0\)"
                                                    r": missing option 'filters'"),
    ("[net]\nwidth=32\n[convolutional]\nfilters=abc\n", r"bad\.cfg:4: \[convolutional\].*"
                                                        r"filters='abc'"),
    ("[net]\nwidth=32\nthis line is junk\n", r"bad\.cfg:3 in \[net\]: expected key=value"),
    ("[net]\n[convolutional\nfilters=3\n", r"bad\.cfg:2: malformed section header"),
    ("[net]\n[route]\nlayers=-3\n", r"bad\.cfg:3: \[route\] \(layer 0\).*not an earlier"),
    ("[net]\n[lstm]\noutput=3\n", r"bad\.cfg:2: \[lstm\].*unsupported section"),
    ("[convolutional]\nfilters=3\n", r"bad\.cfg:1: the first section is \[convolutional\]"),
    ("", r"bad\.cfg: no \[sections\]"),
    ("[net]\n[convolutional]\nfilters=4\nactivation=weird\n",
     r"bad\.cfg:4: \[convolutional\].*unknown activation 'weird'"),
])
def test_malformed_cfg(tmp_path, text, match):
    p = tmp_path / "bad.cfg"
    p.write_text(text)
    with pytest.raises(ModelError, match=match):
        darknet.load(p)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="file not found"):
        darknet.load(tmp_path / "nope.cfg")

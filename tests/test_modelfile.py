"""User model YAML: loading, round trip, and errors that name file, line and field."""
import textwrap

import pytest

from sramfit import engine
from sramfit.engine.modelfile import dump_model, load_model

TINY = """\
version: 1
name: tinynet
source: written for this test
input: {channels: 3, width: 64, height: 48}
layers:
  - {name: c1, op: conv, out: 8, kernel: 3, stride: 2, padding: 1, bias: false}
  - {name: bn1, op: norm}
  - {name: r1, op: act, fn: relu}
  - {name: c2, op: conv, out: 8, kernel: 3, padding: 1}
  - {name: sum, op: add, inputs: [c2, r1]}
  - {name: up, op: upsample, scale: 2}
  - {name: cat, op: concat, inputs: [up, input]}
  - {name: gap, op: pool, global: true, mode: avg}
  - {name: flat, op: reshape}
  - {name: fc, op: fc, out: 10}
"""


def write(tmp_path, text, name="m.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_user_model_by_hand(tmp_path):
    m = load_model(write(tmp_path, TINY))
    fp = engine.analyze(m)               # default size from the file: 64x48
    assert (fp.width, fp.height) == (64, 48)
    # c1: floor((48+2-3)/2)+1 = 24, floor((64+2-3)/2)+1 = 32 -> 8x24x32
    assert fp.shapes["c1"] == (8, 24, 32)
    assert fp.shapes["up"] == (8, 48, 64)
    assert fp.shapes["cat"] == (11, 48, 64)
    # params: c1 8*3*9 = 216; bn 16; c2 8*8*9+8 = 584; fc 11*10+10 = 120
    assert fp.totals()["params"] == 216 + 16 + 584 + 120
    # MACs: c1 8*24*32*27 = 165888; c2 8*24*32*72 = 442368; fc 110
    assert fp.totals()["macs"] == 165888 + 442368 + 110


def test_dump_and_load_round_trip(tmp_path):
    for name in engine.zoo.names():
        m = engine.zoo.get(name)
        p = tmp_path / f"{name}.yaml"
        p.write_text(dump_model(m))
        back = load_model(p)
        assert back.layers == m.layers
        assert back.default_size == m.default_size


@pytest.mark.parametrize("text,line,words", [
    ("name: x\nlayers:\n  - {name: a, op: conv, out: 8}\n", 3, ["kernel", "layers[0]"]),
    ("name: x\nlayers:\n  - name: a\n    op: conv\n    out: 8\n    kernel: -3\n", 6,
     ["kernel", "-3"]),
    ("name: x\nlayers:\n  - {name: a, op: warp}\n", 3, ["op", "warp", "conv"]),
    ("name: x\nlayers:\n  - {name: a, op: act}\n  - {name: b, op: add, inputs: [a, zz]}\n",
     4, ["inputs", "zz"]),
    ("name: x\nlayers:\n  - {name: a, op: act, colour: red}\n", 3, ["colour"]),
    ("name: x\nlayerz: []\n", 2, ["layerz"]),
    ("name: x\nversion: 7\nlayers:\n  - {name: a, op: act}\n", 2, ["version", "7"]),
    ("name: x\ninput: {width: 0}\nlayers:\n  - {name: a, op: act}\n", 2, ["input.width"]),
    ("name: x\nlayers:\n  - {name: a, op: act\n", 4, ["not valid YAML"]),
    ("name: x\nlayers:\n  - {name: a, op: act}\n  - {name: a, op: act}\n", 4, ["twice"]),
])
def test_errors_name_file_line_and_field(tmp_path, text, line, words):
    p = write(tmp_path, text)
    with pytest.raises(engine.ModelError if "YAML" not in words[0] else engine.SramfitError) as e:
        load_model(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}:"), msg
    for w in words:
        assert w in msg


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(engine.SramfitError, match="not found"):
        load_model(tmp_path / "nope.yaml")
    with pytest.raises(engine.ModelError, match="unknown model file type"):
        load_model(tmp_path / "model.h5")
    with pytest.raises(engine.ModelError, match="unknown model 'resnet51'"):
        load_model("resnet51")


def test_yaml_is_never_executed(tmp_path):
    p = write(tmp_path, "!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(engine.SramfitError):
        load_model(p)


def test_shipped_example_model_and_its_scenario():
    """profiles/models/example_segnet.yaml, counted by hand:
    conv 3->16 k3: 432; bn 32; dw 16 k3: 144; bn 32; pw 16->32: 512; bn 64;
    conv 32->64 k3: 18432; bn 128; dw 64 k3: 576; bn 128; pw 64->64: 4096; bn 128;
    head 96->8 k1 + bias: 776.  Total 25,480."""
    from conftest import ROOT
    from sramfit.engine.scenario import load_scenario
    m = load_model(ROOT / "profiles" / "models" / "example_segnet.yaml")
    fp = engine.analyze(m, 1280, 720)
    assert fp.totals()["params"] == 25_480
    # 1280x720 -> 640x360 (stem) -> 320x180 (down) -> 640x360 (up); concat 64+32 = 96
    assert fp.shapes["skip"] == (96, 360, 640)
    assert fp.shapes["head"] == (8, 360, 640)
    s = load_scenario(ROOT / "profiles" / "scenarios" / "example_segnet_720p_edge_tpu.yaml")
    a = engine.analyze(s)
    assert a.footprint.model.name == "example_segnet"
    assert a.totals()["params"] == 25_480

"""`sramfit report --model ...`: formats, fields and errors."""
import csv
import io
import json
import subprocess
import sys

import pytest

from sramfit.commands import main
from conftest import ROOT

OPS = {"conv", "fc", "matmul", "pool", "add", "concat", "upsample", "act", "norm",
       "reshape", "softmax", "other"}


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_report_fields(capsys):
    code, out, _ = run(capsys, "report", "--model", "yolov3", "--input", "1920x1088",
                       "--format", "json")
    assert code == 0
    d = json.loads(out)
    t = d["totals"]
    for k in ("params", "weight_bytes", "macs", "largest_activation_bytes",
              "sum_activation_bytes", "peak_live_bytes", "arena_bytes"):
        assert isinstance(t[k], int)
    assert t["largest_activation_bytes"] == 32 * 1088 * 1920
    assert d["layers"][0]["output_shape"] == [1, 32, 1088, 1920]
    for row in d["layers"]:
        assert row["op"] in OPS
        assert {"name", "output_shape", "activation_bytes", "weight_bytes", "macs"} <= set(row)
    assert sum(r["macs"] for r in d["layers"]) == t["macs"]


def test_attention_macs_apart_in_json_csv_and_table(capsys):
    """ViT-B/16: 24 matmul rows of 12 x 197 x 197 x 64 MACs each, totalled apart."""
    code, out, _ = run(capsys, "report", "--model", "vit_b_16", "--format", "json")
    assert code == 0
    d = json.loads(out)
    per = 12 * 197 * 197 * 64
    assert d["totals"]["attn_macs"] == 24 * per
    assert sum(r["attn_macs"] for r in d["layers"]) == 24 * per
    assert [r["attn_macs"] for r in d["layers"] if r["op"] == "matmul"] == [per] * 24
    assert "attn_macs" in d["units"]
    code, out, _ = run(capsys, "report", "--model", "vit_b_16", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(r["attn_macs"]) for r in rows) == 24 * per
    code, out, _ = run(capsys, "report", "--model", "vit_b_16")
    assert "of which attention 715" in out


def test_depthwise_has_groups(capsys):
    _, out, _ = run(capsys, "report", "--model", "mobilenet_v2", "--format", "json")
    rows = json.loads(out)["layers"]
    dw = [r for r in rows if r["op"] == "conv" and r["groups"] > 1]
    assert len(dw) == 17 and all(r["groups"] == r["output_shape"][1] for r in dw)


def test_precision_batch_and_no_fusion_flags(capsys):
    _, a, _ = run(capsys, "report", "--model", "resnet18", "--format", "json")
    _, b, _ = run(capsys, "report", "--model", "resnet18", "--format", "json", "--batch", "3",
                  "--weights", "fp16", "--activations", "fp32", "--no-fusion")
    a, b = json.loads(a), json.loads(b)
    assert b["totals"]["weight_bytes"] == 2 * a["totals"]["weight_bytes"]
    assert b["totals"]["largest_activation_bytes"] == 12 * a["totals"]["largest_activation_bytes"]
    assert len(b["layers"]) > len(a["layers"])


def test_table_csv_md(capsys):
    _, table, _ = run(capsys, "report", "--model", "resnet50")
    assert "activation (MB)" in table and "peak live activations" in table
    lines = [ln for ln in table.splitlines() if ln.startswith("layer1.0.conv1")]
    assert len(lines) == 1
    _, c, _ = run(capsys, "report", "--model", "resnet50", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(c)))
    assert rows[0]["output_shape"] == "1x64x112x112"
    assert int(rows[0]["activation_bytes"]) == 64 * 112 * 112
    _, md, _ = run(capsys, "report", "--model", "resnet50", "--format", "md")
    assert md.count("\n|") > 50


@pytest.mark.parametrize("args,words", [
    (["--model", "resnet51"], ["unknown model", "resnet50"]),
    (["--model", "yolov3", "--input", "1920x1080"], ["1920x1088"]),
    (["--model", "resnet50", "--input", "0x224"], ["width"]),
    (["--model", "resnet50", "--input", "big"], ["--input", "1920x1088"]),
    (["--model", "resnet50", "--batch", "0"], ["batch"]),
    (["--model", "vgg16", "--input", "16x16"], ["16x16"]),
    (["--model", "resnet50", "--input", "20000x20000"], ["width", "16384"]),
])
def test_errors_exit_2_without_traceback(capsys, args, words):
    code, out, err = run(capsys, "report", *args)
    assert code == 2
    assert "Traceback" not in err and err.startswith("sramfit: error:")
    for w in words:
        assert w in err


def test_real_process_bad_model_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlayers:\n  - {name: a, op: conv, out: 8, kernel: q}\n")
    res = subprocess.run([sys.executable, "-m", "sramfit", "report", "--model", str(bad)],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}:3:" in res.stderr and "kernel" in res.stderr

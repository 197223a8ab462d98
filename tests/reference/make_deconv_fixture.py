"""Export a tiny encoder-decoder with transposed convolutions (ConvTranspose2d) with
PyTorch's own record beside it, into tests/fixtures/onnx/:

- ``deconvish.onnx`` (classic exporter) and ``deconvish_dynamo.onnx`` (dynamo,
  optimised, no external data);
- ``deconvish.json``: at the export size and another, per ConvTranspose2d the output
  shape PyTorch computed and its MACs counted as fvcore counts a transposed conv (every
  input pixel times Cout/groups x kernel taps, per input channel), and the model's
  params (PyTorch's numel).

No sramfit code is used here. Run from the repository root with torch installed:

    python tests/reference/make_deconv_fixture.py
"""
from __future__ import annotations

import io
import json
import logging
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "onnx"
SIZES = [(32, 24), (40, 28)]


class Deconvish(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(),
                                 nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.up1 = nn.ConvTranspose2d(16, 8, 2, stride=2)                     # k = s
        self.up2 = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1,
                                      groups=2, bias=False)
        self.up3 = nn.ConvTranspose2d(8, 4, 3, stride=1, padding=2, dilation=2)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        x = self.enc(x)
        x = torch.relu(self.up1(x))
        x = torch.relu(self.up2(x))
        return self.head(self.up3(x))


def record(model, w, h):
    rows = []

    def hook(mod, inp, out):
        x = inp[0]
        kh, kw = mod.kernel_size
        macs = x.shape[1] * x.shape[2] * x.shape[3] * (mod.out_channels // mod.groups) * kh * kw
        rows.append({"name": mod._name, "in_shape": list(x.shape[1:]),
                     "out_shape": list(out.shape[1:]), "macs": int(macs)})
    hs = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.ConvTranspose2d):
            mod._name = name
            hs.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        out = model(torch.zeros(1, 3, h, w))
    for x in hs:
        x.remove()
    return {"deconvs": rows, "out_shape": list(out.shape[1:])}


def export(model, x, path, **kw):
    with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), opset_version=18, input_names=["image"],
                          output_names=["out"], **kw)
    import onnx
    m = onnx.load(str(path))
    for h in [m, m.graph, *m.graph.node]:
        if hasattr(h, "metadata_props"):
            del h.metadata_props[:]
        if hasattr(h, "doc_string"):
            h.doc_string = ""
    onnx.save(m, str(path))


def main():
    logging.disable(logging.WARNING)
    torch.manual_seed(0)
    model = Deconvish().eval()
    w, h = SIZES[0]
    x = torch.zeros(1, 3, h, w)
    export(model, x, OUT / "deconvish.onnx", dynamo=False)
    export(model, x, OUT / "deconvish_dynamo.onnx", dynamo=True, optimize=True,
           external_data=False)
    doc = {"model": "deconvish", "torch_version": torch.__version__,
           "params": sum(p.numel() for p in model.parameters()),
           "records": {f"{ww}x{hh}": record(model, ww, hh) for ww, hh in SIZES}}
    (OUT / "deconvish.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print("wrote deconvish fixtures")


if __name__ == "__main__":
    main()

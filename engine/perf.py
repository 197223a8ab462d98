"""Speed, energy and area.

Compute time of a step (whole batch)
------------------------------------
The chip has ``array_count`` identical arrays of ``array_rows`` (reduction lanes, fed
with input channels) x ``array_cols`` (output lanes, one output channel each). A
convolution with ``g`` groups of ``cin`` input and ``cout`` output channels each,
``k`` kernel taps and ``P`` output pixels (whole batch) runs in

    cycles = ceil(g / p) * ceil(cin / rows) * ceil(cout / cols) * ceil(P / arrays) * k

where ``p = max(1, min(rows // cin, cols // cout, g))`` groups are packed on the
array's diagonal at once (a depthwise conv on a 64x64 array uses 64 of its 4096
MACs). A layer smaller than the array leaves lanes idle; a bigger one runs in
steps (the ceil terms). Arrays split the pixels, so a fully-connected layer at batch 1
(one "pixel") keeps one array busy: batching fills the others. Utilisation is
``MACs / (cycles * macs)``. A fully-connected layer (and an attention matmul, its second operand taking the
weight's place) is a 1x1 conv over its rows;
``other`` layers with MACs run at full utilisation. Winograd divides an eligible
step's cycles and MACs by 2.25 (the transforms are free). Time is
``cycles / (clock * precision_rate)``, where the precision is the wider of weights
and activations (for equal widths, the activations').

Step time = ``max(compute, memory)`` when compute and DRAM transfers overlap, else
their sum, plus ``layer_overhead_us``; memory time = DRAM bytes / bandwidth. A call
(one compiled batch) adds ``call_overhead_us``.

Dynamic batching: a client batch ``n`` runs as ``ceil(n / b)`` calls of the compiled
batch ``b`` (a short last call still costs a full call), so
``latency = ceil(n/b) * call_time`` and ``throughput = n / latency``.

Energy per image = DRAM bytes x ``dram_pj_per_byte`` + SRAM bytes x
``sram_pj_per_byte``. *SRAM bytes accessed* counts each operand once per use: every
weight byte read once per batch (pinned or staged), and every step's input tensors
read and output tensor written once, whether the tensor is kept or passes through
SRAM on its way to or from DRAM. Register-level reuse inside the array is not counted.
It does not depend on the placement; DRAM bytes do.

SRAM area = SRAM MB x ``sram_mm2_per_mb`` (the chip's process).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import precision as prec
from .shapes import fc_rows


@dataclass
class Geometry:
    """Per-step MAC-array mapping inputs (batch independent)."""
    groups: np.ndarray
    cin: np.ndarray           # reduction channels per group
    cout: np.ndarray          # output channels per group
    taps: np.ndarray          # kernel taps (kh * kw)
    pixels: np.ndarray        # output positions per image
    other_macs: np.ndarray    # MACs of 'other' layers (full utilisation)
    macs: np.ndarray          # per image, after Winograd (float64)
    wino: np.ndarray          # bool per step: Winograd applied


def geometry(fp, wino_steps: np.ndarray) -> Geometry:
    n = len(fp.steps)
    g = np.ones(n, dtype=np.int64)
    cin = np.zeros(n, dtype=np.int64)
    cout = np.zeros(n, dtype=np.int64)
    taps = np.zeros(n, dtype=np.int64)
    pix = np.zeros(n, dtype=np.int64)
    other = np.zeros(n, dtype=np.float64)
    for s in fp.steps:
        i = s.index
        for layer in s.layers:
            a = layer.attrs
            ins = fp.shapes[layer.inputs[0]]
            outs = fp.shapes[layer.name]
            if layer.op == "conv":
                g[i] = a["groups"]
                cin[i] = ins[0] // a["groups"]
                cout[i] = a["out"] // a["groups"]
                taps[i] = a["kernel"][0] * a["kernel"][1]
                pix[i] = outs[1] * outs[2]
            elif layer.op == "fc":
                pix[i], cin[i] = fc_rows(ins, a["flatten"])
                cout[i] = a["out"]
                taps[i] = 1
            elif layer.op == "matmul":     # A (.., M, K) x B (.., K, N): B is the "weight"
                cin[i] = ins[-1]
                cout[i] = outs[-1] if len(outs) else 1
                taps[i] = 1
                pix[i] = math.prod(outs) // max(int(cout[i]), 1)
            elif layer.op == "other":
                other[i] += float(a.get("macs") or 0)
    macs = fp.macs.astype(np.float64) / fp.batch
    macs = np.where(wino_steps, macs / 2.25, macs)
    return Geometry(g, cin, cout, taps, pix, other, macs, wino_steps)


def cycles(geo: Geometry, chip, batch) -> np.ndarray:
    """MAC-array cycles per step for the whole batch (batch shape x steps)."""
    b = np.asarray(batch, dtype=np.float64)[..., None]
    rows, cols, arrays = chip.array_rows, chip.array_cols, chip.array_count
    has = geo.taps > 0
    cin = np.maximum(geo.cin, 1)
    cout = np.maximum(geo.cout, 1)
    p = np.maximum(1, np.minimum(np.minimum(rows // cin, cols // cout), geo.groups))
    passes = (-(-geo.groups // p)) * (-(-cin // rows)) * (-(-cout // cols)) * geo.taps
    pix = np.ceil(b * geo.pixels / arrays)
    cyc = np.where(has, passes * pix, 0.0)
    cyc = np.where(geo.wino, cyc / 2.25, cyc)
    cyc = cyc + np.ceil(b * geo.other_macs / chip.macs)
    return cyc


def compute_precision(weights: str, activations: str) -> str:
    wb, ab = prec.bits(weights), prec.bits(activations)
    return str(weights).lower() if wb > ab else str(activations).lower()


def compute_seconds(geo: Geometry, chip, batch, rate: float):
    """(compute seconds per step, utilisation per step), batch shape x steps."""
    cyc = cycles(geo, chip, batch)
    b = np.asarray(batch, dtype=np.float64)[..., None]
    secs = cyc / (chip.clock_hz * rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cyc > 0, geo.macs * b / (cyc * chip.macs), 0.0)
    return secs, util


def step_times(compute_s, memory_s, chip, overlap: bool):
    busy = np.maximum(compute_s, memory_s) if overlap else compute_s + memory_s
    return busy + chip.layer_overhead_us * 1e-6


def call_latency(time_s, chip):
    """Seconds for one call of the compiled batch (sum over steps + call overhead)."""
    return time_s.sum(axis=-1) + chip.call_overhead_us * 1e-6


def dynamic_batching(call_s, client_batch, compiled_batch):
    """(calls, latency of the client batch, throughput in images/s)."""
    n = np.asarray(client_batch, dtype=np.float64)
    b = np.asarray(compiled_batch, dtype=np.float64)
    calls = np.ceil(n / b)
    latency = calls * call_s
    return calls, latency, n / latency


def sram_bytes_per_image(pm, fp_inputs_bytes_per_image, batch) -> np.ndarray:
    """SRAM bytes accessed per image (see the module docstring)."""
    return pm.weight_total / np.asarray(batch, dtype=np.float64) + fp_inputs_bytes_per_image


def energy_j(dram_bytes, sram_bytes, chip):
    return (dram_bytes * chip.dram_pj_per_byte + sram_bytes * chip.sram_pj_per_byte) * 1e-12


def sram_area_mm2(sram_mb, chip):
    return sram_mb * chip.sram_mm2_per_mb

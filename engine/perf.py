"""Speed, energy and area.

Array mapping: compute cycles of a step (whole batch)
-----------------------------------------------------
The chip has ``array_count`` identical arrays of ``array_rows`` (reduction lanes) x
``array_cols`` (output lanes). A convolution has ``g`` groups of ``cin`` input and
``cout`` output channels each, ``k`` kernel taps and ``P`` output pixels per image
(``b`` images). How its loops land on the array is the chip's ``mapping``:

``channels``  input channels alone on the reduction lanes, taps one after another
    (NVDLA's direct convolution, the seed's simple accelerator)::

        cycles = ceil(g/p) * ceil(cin/rows) * ceil(cout/cols) * k * ceil(b*P / arrays)

    with ``p = max(1, min(rows // cin, cols // cout, g))`` groups packed on the
    diagonal. A 3-channel 7x7 stem uses 3 of the rows.
``im2col``  kernel taps x input channels on the reduction lanes (TPU-like
    compilers)::

        cycles = ceil(g/p) * ceil(cin*k/rows) * ceil(cout/cols) * ceil(b*P / arrays)

    with ``p = max(1, min(rows // (cin*k), cols // cout, g))``. A dense layer (g = 1)
    that leaves room for ``q = min(rows // (cin*k), cols // cout) > 1`` copies of its
    weight block on the diagonal runs ``q`` groups of output positions at once
    (``ceil(b*P / (arrays*q))``), as for grouped convolutions.
``gpu``  an implicit GEMM (M = b*P output positions, N = cout, K = cin*k per group)
    cut into output tiles of ``gpu_tile = [tm, tn]``; each array (an SM) computes one
    tile per wave, K streamed through it, so::

        tiles  = ceil(g/p) * ceil(b*P / tm) * ceil(cout / tn),  p = max(1, min(tn // cout, g))
        cycles = ceil(tiles / arrays) * ceil(tm * tn * K / (rows * cols))

    A small layer at batch 1 makes fewer tiles than there are SMs (ResNet-50's
    7x7x2048 stage: 4 tiles of 128x128 for 40 SMs); batching spreads positions
    over the idle SMs. This is what fills a GPU, not weight reuse.

A fully-connected layer (and an attention matmul, its second operand taking the
weight's place) is a 1x1 conv over its rows; ``other`` layers with MACs run at full
utilisation. Winograd divides an eligible step's cycles and MACs by 2.25 (the
transforms are free). Utilisation is ``MACs / (cycles * macs)``: what the mapping
wastes, independent of the efficiency below.

Achievable, not peak
--------------------
``compute_s = cycles / (clock * precision_rate * compute_efficiency)`` and
``memory_s = DRAM bytes / (dram_gbps * dram_efficiency)``. The two efficiencies are
per chip, each with a source or an ``estimated:`` mark; ``precision_rate`` is for the
wider of weights and activations (for equal widths, the activations').

Sequential execution (``execution: sequential``, every chip but dataflow ones)
----------------------------------------------------------------------------
Step time = ``max(compute, memory)`` when compute and DRAM transfers overlap, else
their sum, plus ``layer_overhead_us``. A call (one compiled batch) is the sum over
steps plus ``call_overhead_us``.

Pipelined dataflow (``execution: pipelined``, Hailo-8)
------------------------------------------------------
Every step that does MACs is resident on its own share of the arrays for the whole
run. Shares are whole arrays (one each, then each spare array goes to the stage that
is slowest at that moment: the greedy allocation that minimises the slowest stage);
with more MAC stages than arrays the shares are fractional, proportional to each
stage's cycles. A stage's time per image is its cycles on its share (``channels`` /
``im2col`` formulas with ``arrays`` = its share), and its memory time is its DRAM
bytes. Images stream through: the period is ``max(slowest stage, call_overhead_us +
all DRAM bytes / bandwidth)``: each image is one host transfer (a call) over one
shared link - a fixed cost, then its bytes - which overlaps the other images'
compute. Throughput
= 1 / period whatever the batch (the rate of a stream of images). Stages stream rows
(line buffers), so one image does not wait for each stage to finish the whole image:
a stage starts once its producer has delivered the rows its kernel needs, the share
``fill = kernel rows / input rows`` of its input (1 for a fully-connected layer,
which needs all of it). The latency of one image is the sum of those fill delays plus
the slowest stage's whole-image time, ``sum(stage * fill) + max(stage)``, plus
``call_overhead_us``; a client batch of ``n`` adds ``(n - 1) * period``.
``layer_overhead_us`` is not charged (nothing is launched per layer). Placement is
per image (the stream holds one image's tensors), unless the weights cannot all be
pinned: then the model runs in contexts that each take the whole chip (Hailo's
multi-context mode), every weight is reloaded once per batch and none stays pinned,
so the batch amortises the reload (``analysis._pipelined_placement``).

Dynamic batching (sequential): a client batch ``n`` runs as ``ceil(n / b)`` calls of
the compiled batch ``b`` (a short last call still costs a full call), so ``latency =
ceil(n/b) * call_time`` and ``throughput = n / latency``.

Tiling re-reads (``tiling: true``)
----------------------------------
A layer runs from an on-chip buffer: the SRAM itself (NVDLA's convolution buffer).
When its weights ``W`` and inputs ``I`` (whole batch) do not fit together (``W + I >
C``), the layer is cut. Half the buffer holds a chunk of one operand while the other
streams past it: either the weights in ``ceil(W / (C/2))`` chunks, each pass reading
the inputs again, or the inputs in ``ceil(I / (C/2))`` chunks, each re-reading the
weights. The compiler takes the cheaper; only operands the placement leaves in DRAM
cost DRAM bytes (re-reading a kept tensor or pinned weights is free). ``C`` is floored
at 1 KiB so an SRAM size of 0 stays finite. The traffic kinds ``weight_rereads`` and
``activation_rereads`` (input re-reads) hold them. Extra DRAM bytes per step::

    extra = min((ceil(W/(C/2)) - 1) * I_dram, (ceil(I/(C/2)) - 1) * W_dram)  if W + I > C

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

MAPPINGS = ("channels", "im2col", "gpu")
EXECUTIONS = ("sequential", "pipelined")
MIN_TILE_BUFFER = 1024.0


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
    fill: np.ndarray | None = None  # share of its input a step needs before its first
                                    # output row: kernel rows / input rows (1 for fc)


def geometry(fp, wino_steps: np.ndarray) -> Geometry:
    n = len(fp.steps)
    g = np.ones(n, dtype=np.int64)
    cin = np.zeros(n, dtype=np.int64)
    cout = np.zeros(n, dtype=np.int64)
    taps = np.zeros(n, dtype=np.int64)
    pix = np.zeros(n, dtype=np.int64)
    other = np.zeros(n, dtype=np.float64)
    fill = np.zeros(n, dtype=np.float64)
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
                fill[i] = min(1.0, a["kernel"][0] / max(1, ins[1]))
            elif layer.op == "deconv":     # per input pixel: Cin/g x Cout/g x taps
                g[i] = a["groups"]
                cin[i] = ins[0] // a["groups"]
                cout[i] = a["out"] // a["groups"]
                taps[i] = a["kernel"][0] * a["kernel"][1]
                pix[i] = ins[1] * ins[2]
                fill[i] = 1.0
            elif layer.op == "fc":
                pix[i], cin[i] = fc_rows(ins, a["flatten"])
                cout[i] = a["out"]
                taps[i] = 1
                fill[i] = 1.0
            elif layer.op == "matmul":     # A (.., M, K) x B (.., K, N): B is the "weight"
                cin[i] = ins[-1]
                cout[i] = outs[-1] if len(outs) else 1
                taps[i] = 1
                pix[i] = math.prod(outs) // max(int(cout[i]), 1)
                fill[i] = 1.0
            elif layer.op == "other":
                other[i] += float(a.get("macs") or 0)
    macs = fp.macs.astype(np.float64) / fp.batch
    macs = np.where(wino_steps, macs / 2.25, macs)
    fill = np.where(other > 0, 1.0, fill)
    return Geometry(g, cin, cout, taps, pix, other, macs, wino_steps, fill)


def _cdiv(a, b):
    return -(-a // b)


def cycles(geo: Geometry, chip, batch, arrays=None) -> np.ndarray:
    """MAC-array cycles per step for the whole batch (batch shape x steps), under the
    chip's ``mapping``. ``arrays`` (per step) overrides ``chip.array_count``: the share
    of a pipelined stage."""
    b = np.asarray(batch, dtype=np.float64)[..., None]
    rows, cols = chip.array_rows, chip.array_cols
    arr = np.asarray(chip.array_count if arrays is None else arrays, dtype=np.float64)
    has = geo.taps > 0
    cin = np.maximum(geo.cin, 1)
    cout = np.maximum(geo.cout, 1)
    taps = np.maximum(geo.taps, 1)
    mapping = getattr(chip, "mapping", "channels")
    positions = b * geo.pixels
    if mapping == "gpu":
        tm, tn = chip.gpu_tile
        p = np.maximum(1, np.minimum(tn // cout, geo.groups))
        tiles = _cdiv(geo.groups, p) * np.ceil(positions / tm) * _cdiv(cout, tn)
        per_tile = np.ceil(tm * tn * (cin * taps) / (rows * cols))
        cyc = np.ceil(tiles / arr) * per_tile
    else:
        red = cin * taps if mapping == "im2col" else cin
        fit = np.minimum(rows // red, cols // cout)
        p = np.maximum(1, np.minimum(fit, geo.groups))
        passes = _cdiv(geo.groups, p) * _cdiv(red, rows) * _cdiv(cout, cols)
        if mapping != "im2col":
            passes = passes * taps
            cyc = passes * np.ceil(positions / arr)
        else:
            # spare diagonal blocks (a dense layer too small for the array) take
            # other output positions of the same layer
            q = np.maximum(1, np.where(geo.groups > 1, 1, fit))
            cyc = passes * np.ceil(positions / (arr * q))
    cyc = np.where(has, cyc, 0.0)
    cyc = np.where(geo.wino, cyc / 2.25, cyc)
    cyc = cyc + np.ceil(b * geo.other_macs / (rows * cols * arr))
    return cyc


def compute_precision(weights: str, activations: str) -> str:
    wb, ab = prec.bits(weights), prec.bits(activations)
    return str(weights).lower() if wb > ab else str(activations).lower()


def _compute_hz(chip, rate: float) -> float:
    return chip.clock_hz * rate * getattr(chip, "compute_efficiency", 1.0)


def utilisation(geo: Geometry, cyc, batch, macs_per_cycle) -> np.ndarray:
    b = np.asarray(batch, dtype=np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cyc > 0, geo.macs * b / (cyc * macs_per_cycle), 0.0)


def compute_seconds(geo: Geometry, chip, batch, rate: float):
    """(compute seconds per step, utilisation per step), batch shape x steps."""
    cyc = cycles(geo, chip, batch)
    return cyc / _compute_hz(chip, rate), utilisation(geo, cyc, batch, chip.macs)


def memory_seconds(dram_bytes, chip):
    return dram_bytes / (chip.dram_bytes_per_s * getattr(chip, "dram_efficiency", 1.0))


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


# -- pipelined dataflow --------------------------------------------------------------
def stage_shares(geo: Geometry, chip) -> np.ndarray:
    """Arrays given to each step of a pipelined chip (0 for steps without MACs)."""
    n = len(geo.macs)
    shares = np.zeros(n, dtype=np.float64)
    mac = (geo.taps > 0) | (geo.other_macs > 0)
    idx = np.flatnonzero(mac)
    if len(idx) == 0:
        return shares
    A = chip.array_count
    one = cycles(geo, chip, 1.0, arrays=np.ones(n))
    if len(idx) > A:
        shares[idx] = A * one[idx] / one[idx].sum()
        return shares
    shares[idx] = 1.0
    for _ in range(A - len(idx)):
        t = cycles(geo, chip, 1.0, arrays=np.maximum(shares, 1.0))
        t = np.where(mac, t, -1.0)
        shares[int(np.argmax(t))] += 1.0
    return shares


def pipeline_seconds(geo: Geometry, chip, rate: float):
    """(compute seconds per image of every stage on its share, utilisation of the
    stage's share, shares)."""
    shares = stage_shares(geo, chip)
    cyc = cycles(geo, chip, 1.0, arrays=np.maximum(shares, 1e-300))
    cyc = np.where(shares > 0, cyc, 0.0)
    lanes = np.maximum(shares, 1e-300) * chip.array_rows * chip.array_cols
    util = utilisation(geo, cyc, 1.0, lanes)
    return cyc / _compute_hz(chip, rate), util, shares


def pipelined_timing(stage_compute_s, memory_s_per_image, chip, client_batch, fill):
    """(per-stage time per image, period, latency of the client batch, throughput).
    ``memory_s_per_image`` has the grid shape x steps; ``fill`` is per step."""
    stage = np.maximum(stage_compute_s, memory_s_per_image)
    period = np.maximum(stage.max(axis=-1),
                        memory_s_per_image.sum(axis=-1) + chip.call_overhead_us * 1e-6)
    n = np.asarray(client_batch, dtype=np.float64)
    first = (stage * fill).sum(axis=-1) + stage.max(axis=-1)
    latency = chip.call_overhead_us * 1e-6 + first + (n - 1) * period
    return stage, period, latency, 1.0 / period


# -- tiling re-reads -----------------------------------------------------------------
def tiling_rereads(weight_bytes, weight_in_dram, input_bytes, input_dram_bytes,
                   buffer_bytes):
    """Extra DRAM bytes per step (whole batch) when a step's weights + inputs exceed
    the buffer it runs from (see the module docstring), as (weight re-reads, input
    re-reads); at most one of the two is non-zero per step. Arguments broadcast:
    per-step weight bytes, whether they stream from DRAM, input bytes (all, and the
    part read from DRAM) of the whole batch, and the buffer (grid shape, bytes)."""
    C = np.maximum(np.asarray(buffer_bytes, dtype=np.float64)[..., None], MIN_TILE_BUFFER)
    half = C / 2
    W = np.asarray(weight_bytes, dtype=np.float64)
    I = np.asarray(input_bytes, dtype=np.float64)
    n_w = np.maximum(np.ceil(W / half), 1.0)
    n_i = np.maximum(np.ceil(I / half), 1.0)
    by_weights = (n_w - 1) * input_dram_bytes
    by_inputs = (n_i - 1) * W * weight_in_dram
    cut = (W > 0) & (W + I > C)
    weights_again = cut & (by_inputs <= by_weights)
    return (np.where(weights_again, by_inputs, 0.0),
            np.where(cut & ~weights_again, by_weights, 0.0))


def sram_bytes_per_image(pm, fp_inputs_bytes_per_image, batch) -> np.ndarray:
    """SRAM bytes accessed per image (see the module docstring)."""
    return pm.weight_total / np.asarray(batch, dtype=np.float64) + fp_inputs_bytes_per_image


def energy_j(dram_bytes, sram_bytes, chip):
    return (dram_bytes * chip.dram_pj_per_byte + sram_bytes * chip.sram_pj_per_byte) * 1e-12


def sram_area_mm2(sram_mb, chip):
    return sram_mb * chip.sram_mm2_per_mb

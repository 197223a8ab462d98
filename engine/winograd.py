"""Winograd F(2x2, 3x3) for 3x3, stride-1, dilation-1, dense (groups=1) convolutions.

Each 2x2 output tile of a 3x3 convolution costs 16 multiplies instead of 4 x 9 = 36:
the MACs of an eligible step are divided by 36/16 = 2.25. The transformed kernel has
4x4 = 16 values per (output, input) channel pair instead of 3x3 = 9, so the stored
weights of the kernel grow by 16/9 (bias and batchnorm parameters do not change) -
unless the chip stores the weights plain and expands them on chip
(``winograd_plain_weights``), in which case SRAM and DRAM hold the plain 9 values.
The input/output transforms are additions and are not counted as MACs.
"""
from __future__ import annotations

import numpy as np

from . import precision as prec

MAC_FACTOR = 2.25          # 36 / 16
WEIGHT_FACTOR = 16 / 9


def eligible(layer) -> bool:
    a = layer.attrs
    return (layer.op == "conv" and tuple(a["kernel"]) == (3, 3)
            and tuple(a["stride"]) == (1, 1) and tuple(a["dilation"]) == (1, 1)
            and a["groups"] == 1)


def eligible_steps(fp) -> np.ndarray:
    """Bool per step: the step's anchor layer is a Winograd-eligible convolution."""
    return np.array([eligible(s.anchor) for s in fp.steps], dtype=bool)


def transformed_weight_bytes(fp) -> np.ndarray:
    """Stored weight bytes per step with each eligible kernel expanded to 4x4 values.

    Computed layer by layer like the footprint: only the anchor conv's kernel changes
    (out x in x 9 -> out x in x 16 values); bias and fused batchnorm stay."""
    wb = fp.weight_bytes.copy()
    bits = fp.weight_bits
    for s in fp.steps:
        anchor = s.anchor
        if not eligible(anchor):
            continue
        a = anchor.attrs
        cin = fp.shapes[anchor.inputs[0]][0]
        kernel_plain = a["out"] * cin * 9
        bias = a["out"] if a["bias"] else 0
        old = prec.nbytes(kernel_plain + bias, bits)
        new = prec.nbytes(a["out"] * cin * 16 + bias, bits)
        wb[s.index] += new - old
    return wb

"""The names of the engine's figures, as the views show them (no computation).

Kept apart from the modules that compute so that views which must not compute (the
plot classes, by an import contract in pyproject.toml) can still name what they draw.
"""
from __future__ import annotations

#: the three kinds of DRAM traffic (engine.compare.traffic_split): key -> label
TRAFFIC_KINDS = (("weights", "weights read"),
                 ("activations", "activations spilled + read back"),
                 ("io", "input read + output written"))

#: y axes of the Pareto plot (engine.compare.pareto_family): key -> (label, scale from
#: SI, which direction is better)
PARETO_Y = {
    "throughput_ips": ("throughput (images/s)", 1.0, "higher"),
    "dram_bytes_per_s": ("DRAM bandwidth used (GB/s)", 1e-9, "lower"),
    "dram_bytes_per_image": ("DRAM traffic per image (MB)", 1e-6, "lower"),
}

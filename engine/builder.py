"""A small builder for writing model graphs in code (used by the built-in zoo)."""
from __future__ import annotations

from .graph import INPUT, Model, make_layer


class Builder:
    def __init__(self, name: str, channels: int = 3, default_size=(224, 224),
                 source: str = "", notes: str = ""):
        self.name, self.channels, self.default_size = name, channels, default_size
        self.source, self.notes = source, notes
        self.layers = []
        self.last = INPUT

    def add(self, name: str, op: str, inputs=None, **attrs) -> str:
        inputs = [self.last] if inputs is None else ([inputs] if isinstance(inputs, str)
                                                     else list(inputs))
        self.layers.append(make_layer(name, op, inputs, attrs))
        self.last = name
        return name

    # convenience wrappers ----------------------------------------------------------
    def conv(self, name, out, kernel, stride=1, padding=None, groups=1, dilation=1,
             bias=False, x=None):
        if padding is None:
            padding = (kernel // 2) * dilation if isinstance(kernel, int) else 0
        return self.add(name, "conv", x, out=out, kernel=kernel, stride=stride,
                        padding=padding, groups=groups, dilation=dilation, bias=bias)

    def bn(self, name, x=None):
        return self.add(name, "norm", x)

    def act(self, name, fn="relu", x=None):
        return self.add(name, "act", x, fn=fn)

    def conv_bn_act(self, prefix, out, kernel, stride=1, padding=None, groups=1, fn="relu",
                    x=None, bn="bn", conv="conv", act="act"):
        self.conv(f"{prefix}{conv}", out, kernel, stride, padding, groups, x=x)
        self.bn(f"{prefix}{bn}")
        if fn:
            self.act(f"{prefix}{act}", fn)
        return self.last

    def maxpool(self, name, kernel, stride=None, padding=0, ceil_mode=False, x=None):
        return self.add(name, "pool", x, mode="max", kernel=kernel,
                        stride=kernel if stride is None else stride, padding=padding,
                        ceil_mode=ceil_mode)

    def global_avgpool(self, name, x=None):
        return self.add(name, "pool", x, mode="avg", **{"global": True})

    def residual(self, name, a, b, fn=None):
        self.add(name, "add", [a, b])
        if fn:
            self.act(f"{name}_act", fn)
        return self.last

    def concat(self, name, inputs):
        return self.add(name, "concat", inputs, axis=1)

    def upsample(self, name, scale=2, x=None):
        return self.add(name, "upsample", x, scale=scale, mode="nearest")

    def flatten(self, name, x=None):
        return self.add(name, "reshape", x, kind="flatten")

    def fc(self, name, out, bias=True, x=None):
        return self.add(name, "fc", x, out=out, bias=bias)

    def build(self) -> Model:
        return Model(self.name, tuple(self.layers), self.channels, self.default_size,
                     self.source, self.notes)

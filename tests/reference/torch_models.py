"""Plain-PyTorch re-implementations of the reference CNNs.

These exist only to produce *independent* reference figures (shapes, params, MACs)
for sramfit's tests. They are written from the published architectures
(torchvision's model definitions and darknet's yolov3.cfg / yolov3-tiny.cfg), not
from sramfit's own layer tables. torchvision is not a dependency.

Parameter counts (sum of p.numel(), BatchNorm included) that these must reproduce:

    resnet50      25,557,032   (torchvision ResNet-50 v1.5)
    resnet18      11,689,512
    vgg16        138,357,544
    googlenet      6,624,904   (torchvision GoogLeNet, aux heads off)
    mobilenet_v2   3,504,872
    yolov3        61,949,149   (ultralytics' figure for darknet yolov3.cfg)
    yolov3_tiny    8,852,366   (ultralytics' figure for darknet yolov3-tiny.cfg)
"""

from __future__ import annotations

import torch
from torch import nn


def _make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """torchvision's channel rounding for MobileNetV2."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# --------------------------------------------------------------------------- ResNet


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: the stride sits in the 3x3 conv (conv2)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        width = planes
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes: int = 1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet50() -> nn.Module:
    return ResNet(Bottleneck, [3, 4, 6, 3])


def resnet18() -> nn.Module:
    return ResNet(BasicBlock, [2, 2, 2, 2])


# --------------------------------------------------------------------------- VGG


class VGG(nn.Module):
    def __init__(self, cfg, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(in_ch, v, 3, padding=1), nn.ReLU(inplace=True)]
                in_ch = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def vgg16() -> nn.Module:
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
           512, 512, 512, "M", 512, 512, 512, "M"]
    return VGG(cfg)


# --------------------------------------------------------------------------- GoogLeNet


class BasicConv2d(nn.Module):
    """torchvision GoogLeNet conv: conv (no bias) + BN(eps=0.001) + ReLU."""

    def __init__(self, in_ch: int, out_ch: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_ch, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, in_ch, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_ch, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_ch, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        # torchvision's "5x5" branch really uses a 3x3 kernel (a known quirk kept
        # for compatibility with its pretrained weights); we copy that.
        self.branch3 = nn.Sequential(
            BasicConv2d(in_ch, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_ch, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        return torch.cat(
            [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1
        )


class GoogLeNet(nn.Module):
    """torchvision GoogLeNet with aux_logits=False (transform_input is irrelevant
    to shapes and params and is left out)."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x))


def googlenet() -> nn.Module:
    return GoogLeNet()


# --------------------------------------------------------------------------- MobileNetV2


def _conv_bn_relu6(in_ch, out_ch, kernel=3, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn_relu6(inp, hidden, kernel=1))
        layers += [
            _conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),  # depthwise
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),  # linear projection
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0):
        super().__init__()
        input_channel = _make_divisible(32 * width_mult)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult))
        settings = [  # t, c, n, s
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ]
        features: list[nn.Module] = [_conv_bn_relu6(3, input_channel, stride=2)]
        for t, c, n, s in settings:
            out_ch = _make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(input_channel, out_ch, s if i == 0 else 1, t))
                input_channel = out_ch
        features.append(_conv_bn_relu6(input_channel, self.last_channel, kernel=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, (1, 1)), 1)
        return self.classifier(x)


def mobilenet_v2() -> nn.Module:
    return MobileNetV2()


# --------------------------------------------------------------------------- Darknet / YOLO
#
# Built from a small list of darknet-cfg-like records so the layer indices match the
# .cfg files (route/shortcut offsets are resolved exactly as darknet does).
# Records: ("conv", filters, size, stride, bn_leaky) ; ("shortcut", from) ;
# ("route", [layers]) ; ("upsample", stride) ; ("maxpool", size, stride) ; ("yolo",)
# Darknet conv with pad=1 uses padding = size // 2. bn_leaky=False is the linear
# detection-head conv (with bias, no BN).


class _DarknetConv(nn.Module):
    def __init__(self, in_ch, out_ch, size, stride, bn_leaky):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, size, stride, size // 2, bias=not bn_leaky)
        self.bn = nn.BatchNorm2d(out_ch) if bn_leaky else None
        self.act = nn.LeakyReLU(0.1, inplace=True) if bn_leaky else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.act(self.bn(x))
        return x


class _DarknetMaxPool(nn.Module):
    def __init__(self, size, stride):
        super().__init__()
        if size == 2 and stride == 1:
            # yolov3-tiny layer 11 (size=2 stride=1). Darknet pads this pool (its
            # default padding is size-1, applied at the right/bottom) so a 13x13 input
            # stays 13x13. We do the same as ultralytics: ZeroPad2d((0,1,0,1)) then
            # MaxPool2d(2, 1). Darknet ignores out-of-range cells (like -inf padding),
            # so values at the border can differ, but shapes, params and MACs are
            # identical.
            self.pool = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1))
        else:
            self.pool = nn.MaxPool2d(size, stride, padding=(size - 1) // 2)

    def forward(self, x):
        return self.pool(x)


class _YoloOut(nn.Module):
    """Placeholder for darknet's [yolo] layer: passes its input through (decoding
    boxes has no conv/fc work and no params)."""

    def forward(self, x):
        return x


class Darknet(nn.Module):
    def __init__(self, records):
        super().__init__()
        self.records = records
        mods = nn.ModuleList()
        out_ch: list[int] = []
        ch = 3
        for i, r in enumerate(records):
            kind = r[0]
            if kind == "conv":
                _, filters, size, stride, bn_leaky = r
                mods.append(_DarknetConv(ch, filters, size, stride, bn_leaky))
                ch = filters
            elif kind == "shortcut":
                mods.append(nn.Identity())
            elif kind == "route":
                idx = [j if j >= 0 else i + j for j in r[1]]
                ch = sum(out_ch[j] for j in idx)
                mods.append(nn.Identity())
            elif kind == "upsample":
                mods.append(nn.Upsample(scale_factor=r[1], mode="nearest"))
            elif kind == "maxpool":
                mods.append(_DarknetMaxPool(r[1], r[2]))
            elif kind == "yolo":
                mods.append(_YoloOut())
            else:
                raise ValueError(kind)
            out_ch.append(ch)
        self.module_list = mods

    def forward(self, x):
        outs: list[torch.Tensor] = []
        yolo_outs: list[torch.Tensor] = []
        for i, (r, m) in enumerate(zip(self.records, self.module_list)):
            kind = r[0]
            if kind == "shortcut":
                x = outs[-1] + outs[i + r[1]]
            elif kind == "route":
                idx = [j if j >= 0 else i + j for j in r[1]]
                x = torch.cat([outs[j] for j in idx], 1) if len(idx) > 1 else outs[idx[0]]
            elif kind == "yolo":
                x = m(x)
                yolo_outs.append(x)
            else:
                x = m(x)
            outs.append(x)
        return yolo_outs


def _yolov3_records(num_classes: int = 80):
    head = 3 * (num_classes + 5)
    C = lambda f, s, st=1: ("conv", f, s, st, True)  # noqa: E731
    r: list[tuple] = [C(32, 3)]

    def stage(filters, blocks):
        r.append(C(filters, 3, 2))
        for _ in range(blocks):
            r.append(C(filters // 2, 1))
            r.append(C(filters, 3))
            r.append(("shortcut", -3))

    # Darknet-53 backbone, layers 0..74
    stage(64, 1)
    stage(128, 2)
    stage(256, 8)  # ends at layer 36
    stage(512, 8)  # ends at layer 61
    stage(1024, 4)  # ends at layer 74
    assert len(r) == 75
    # head, scale 1 (stride 32): layers 75..82
    r += [C(512, 1), C(1024, 3), C(512, 1), C(1024, 3), C(512, 1), C(1024, 3),
          ("conv", head, 1, 1, False), ("yolo",)]
    # scale 2 (stride 16): layers 83..94
    r += [("route", [-4]), C(256, 1), ("upsample", 2), ("route", [-1, 61]),
          C(256, 1), C(512, 3), C(256, 1), C(512, 3), C(256, 1), C(512, 3),
          ("conv", head, 1, 1, False), ("yolo",)]
    # scale 3 (stride 8): layers 95..106
    r += [("route", [-4]), C(128, 1), ("upsample", 2), ("route", [-1, 36]),
          C(128, 1), C(256, 3), C(128, 1), C(256, 3), C(128, 1), C(256, 3),
          ("conv", head, 1, 1, False), ("yolo",)]
    assert len(r) == 107
    return r


def _yolov3_tiny_records(num_classes: int = 80):
    head = 3 * (num_classes + 5)
    C = lambda f, s, st=1: ("conv", f, s, st, True)  # noqa: E731
    r = [
        C(16, 3), ("maxpool", 2, 2),        # 0, 1
        C(32, 3), ("maxpool", 2, 2),        # 2, 3
        C(64, 3), ("maxpool", 2, 2),        # 4, 5
        C(128, 3), ("maxpool", 2, 2),       # 6, 7
        C(256, 3), ("maxpool", 2, 2),       # 8, 9
        C(512, 3), ("maxpool", 2, 1),       # 10, 11  (size=2 stride=1, padded)
        C(1024, 3),                         # 12
        C(256, 1), C(512, 3),               # 13, 14
        ("conv", head, 1, 1, False), ("yolo",),  # 15, 16
        ("route", [-4]), C(128, 1), ("upsample", 2), ("route", [-1, 8]),  # 17..20
        C(256, 3), ("conv", head, 1, 1, False), ("yolo",),  # 21..23
    ]
    assert len(r) == 24
    return r


def yolov3() -> nn.Module:
    return Darknet(_yolov3_records())


def yolov3_tiny() -> nn.Module:
    return Darknet(_yolov3_tiny_records())


class MatMul(nn.Module):
    """torch.matmul of two activations, as a module so a forward hook can record it."""

    def forward(self, a, b):
        return torch.matmul(a, b)


class ViTAttention(nn.Module):
    """Multi-head self-attention with explicit Linear layers (torchvision's
    nn.MultiheadAttention packs the same weights as in_proj_weight/out_proj)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.in_proj = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)
        self.scores = MatMul()
        self.context = MatMul()

    def forward(self, x):
        n, t, c = x.shape
        qkv = self.in_proj(x).reshape(n, t, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = self.scores(q, k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        y = self.context(a.softmax(-1), v)
        return self.out_proj(y.transpose(1, 2).reshape(n, t, c))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = ViTAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Dropout(0.0),
                                 nn.Linear(mlp, dim), nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.self_attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    """torchvision's VisionTransformer (vit_b_16 configuration), written out."""

    def __init__(self, image=224, patch=16, dim=768, depth=12, heads=12, mlp=3072,
                 classes=1000):
        super().__init__()
        self.patch = patch
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        tokens = (image // patch) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.zeros(1, tokens, dim))
        self.layers = nn.Sequential(*[ViTBlock(dim, heads, mlp) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], 1)
        x = self.ln(self.layers(x + self.pos_embedding))
        return self.head(x[:, 0])


def vit_b_16() -> nn.Module:
    return VisionTransformer()


MODELS = {
    "resnet50": resnet50,
    "resnet18": resnet18,
    "vgg16": vgg16,
    "googlenet": googlenet,
    "mobilenet_v2": mobilenet_v2,
    "yolov3": yolov3,
    "yolov3_tiny": yolov3_tiny,
    "vit_b_16": vit_b_16,
}

EXPECTED_PARAMS = {
    "resnet50": 25_557_032,
    "resnet18": 11_689_512,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,
    "mobilenet_v2": 3_504_872,
    "yolov3": 61_949_149,
    "yolov3_tiny": 8_852_366,
    "vit_b_16": 86_567_656,      # torchvision's num_params for vit_b_16
}

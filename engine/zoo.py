"""Built-in models, written from their published architectures.

Layer names follow the source implementation (torchvision module paths, darknet
layer indices) so a user can match rows to the code they know. No totals are typed
in anywhere: params and MACs come out of the layer definitions.
"""
from __future__ import annotations

from functools import lru_cache

from .builder import Builder
from .errors import ModelError
from .graph import Model

TV = "torchvision.models.{} (torchvision source code)"


# -- ResNet (torchvision v1.5: stride on the 3x3 conv of the bottleneck) ----------------
def _resnet(name, block, counts):
    b = Builder(name, source=TV.format(name) + "; He et al. 2016, v1.5 variant",
                notes="BatchNorm and ReLU fuse into the convs; residual add + ReLU fuse "
                      "into the block's last conv")
    b.conv("conv1", 64, 7, 2, 3)
    b.bn("bn1")
    b.act("relu")
    b.maxpool("maxpool", 3, 2, 1)
    inplanes = 64
    expansion = 4 if block == "bottleneck" else 1
    for stage, (planes, n) in enumerate(zip((64, 128, 256, 512), counts), start=1):
        for i in range(n):
            stride = 2 if (stage > 1 and i == 0) else 1
            p = f"layer{stage}.{i}."
            x = b.last
            if block == "bottleneck":
                b.conv(p + "conv1", planes, 1)
                b.bn(p + "bn1")
                b.act(p + "relu1")
                b.conv(p + "conv2", planes, 3, stride)
                b.bn(p + "bn2")
                b.act(p + "relu2")
                b.conv(p + "conv3", planes * 4, 1)
                main = b.bn(p + "bn3")
            else:
                b.conv(p + "conv1", planes, 3, stride)
                b.bn(p + "bn1")
                b.act(p + "relu1")
                b.conv(p + "conv2", planes, 3)
                main = b.bn(p + "bn2")
            if stride != 1 or inplanes != planes * expansion:
                b.conv(p + "downsample.0", planes * expansion, 1, stride, x=x)
                x = b.bn(p + "downsample.1")
            b.add(p + "add", "add", [main, x])
            b.act(p + "relu")
            inplanes = planes * expansion
    b.global_avgpool("avgpool")
    b.flatten("flatten")
    b.fc("fc", 1000)
    return b.build()


def resnet50():
    return _resnet("resnet50", "bottleneck", (3, 4, 6, 3))


def resnet18():
    return _resnet("resnet18", "basic", (2, 2, 2, 2))


# -- VGG-16 (configuration D, no batchnorm) ---------------------------------------------
def vgg16():
    b = Builder("vgg16", source=TV.format("vgg16") + "; Simonyan & Zisserman 2015, config D")
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
           512, 512, 512, "M"]
    i = 0
    for v in cfg:
        if v == "M":
            b.maxpool(f"features.{i}", 2, 2)
            i += 1
        else:
            b.conv(f"features.{i}", v, 3, 1, 1, bias=True)
            b.act(f"features.{i + 1}")
            i += 2
    b.add("avgpool", "pool", mode="avg", output_size=7)
    b.flatten("flatten")
    b.fc("classifier.0", 4096)
    b.act("classifier.1")
    b.fc("classifier.3", 4096)
    b.act("classifier.4")
    b.fc("classifier.6", 1000)
    return b.build()


# -- GoogLeNet (torchvision, no aux heads) ----------------------------------------------
def googlenet():
    b = Builder("googlenet", source=TV.format("googlenet") + "; Szegedy et al. 2015; "
                "torchvision's '5x5' branch uses a 3x3 conv, kept here as published in code")

    def basic(name, out, k, s=1, p=None, x=None):
        b.conv(f"{name}.conv", out, k, s, p, x=x)
        b.bn(f"{name}.bn")
        return b.act(f"{name}.relu")

    def inception(name, c1, c3r, c3, c5r, c5, pp):
        x = b.last
        o1 = basic(f"{name}.branch1", c1, 1, x=x)
        basic(f"{name}.branch2.0", c3r, 1, x=x)
        o2 = basic(f"{name}.branch2.1", c3, 3, 1, 1)
        basic(f"{name}.branch3.0", c5r, 1, x=x)
        o3 = basic(f"{name}.branch3.1", c5, 3, 1, 1)
        b.maxpool(f"{name}.branch4.0", 3, 1, 1, ceil_mode=True, x=x)
        o4 = basic(f"{name}.branch4.1", pp, 1)
        return b.concat(f"{name}.cat", [o1, o2, o3, o4])

    basic("conv1", 64, 7, 2, 3)
    b.maxpool("maxpool1", 3, 2, ceil_mode=True)
    basic("conv2", 64, 1)
    basic("conv3", 192, 3, 1, 1)
    b.maxpool("maxpool2", 3, 2, ceil_mode=True)
    inception("inception3a", 64, 96, 128, 16, 32, 32)
    inception("inception3b", 128, 128, 192, 32, 96, 64)
    b.maxpool("maxpool3", 3, 2, ceil_mode=True)
    inception("inception4a", 192, 96, 208, 16, 48, 64)
    inception("inception4b", 160, 112, 224, 24, 64, 64)
    inception("inception4c", 128, 128, 256, 24, 64, 64)
    inception("inception4d", 112, 144, 288, 32, 64, 64)
    inception("inception4e", 256, 160, 320, 32, 128, 128)
    b.maxpool("maxpool4", 2, 2, ceil_mode=True)
    inception("inception5a", 256, 160, 320, 32, 128, 128)
    inception("inception5b", 384, 192, 384, 48, 128, 128)
    b.global_avgpool("avgpool")
    b.flatten("flatten")
    b.fc("fc", 1000)
    return b.build()


# -- MobileNetV2 (width 1.0) -------------------------------------------------------------
def mobilenet_v2():
    b = Builder("mobilenet_v2", source=TV.format("mobilenet_v2") + "; Sandler et al. 2018")
    b.conv_bn_act("features.0.", 32, 3, 2, fn="relu6", conv="0", bn="1", act="2")
    inp, idx = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{idx}."
            x = b.last
            hidden = inp * t
            if t != 1:
                b.conv_bn_act(p + "expand.", hidden, 1, fn="relu6")
            b.conv_bn_act(p + "dw.", hidden, 3, stride, groups=hidden, fn="relu6")
            b.conv(p + "project.conv", c, 1)
            out = b.bn(p + "project.bn")
            if stride == 1 and inp == c:
                b.add(p + "add", "add", [out, x])
            inp, idx = c, idx + 1
    b.conv_bn_act(f"features.{idx}.", 1280, 1, fn="relu6", conv="0", bn="1", act="2")
    b.global_avgpool("avgpool")
    b.flatten("flatten")
    b.fc("classifier.1", 1000)
    return b.build()


# -- YOLOv3 (darknet yolov3.cfg, 80 classes) ---------------------------------------------
DARKNET = ("darknet cfg/{}.cfg (Redmon & Farhadi 2018); layer names are darknet's layer "
           "indices; params as PyTorch counts them (conv weights, BN scale+shift, head biases)")


def _dn_conv(b, i, out, k, s=1):
    """darknet [convolutional] with batch_normalize=1, pad=1, activation=leaky."""
    b.conv(f"{i:03d}_conv", out, k, s, k // 2)
    b.bn(f"{i:03d}_bn")
    return b.act(f"{i:03d}_leaky", "leaky")


def _dn_head(b, i, classes=80, anchors=3):
    b.conv(f"{i:03d}_conv", anchors * (classes + 5), 1, 1, 0, bias=True)
    return b.last


def yolov3(classes: int = 80):
    b = Builder("yolov3", default_size=(416, 416), source=DARKNET.format("yolov3"),
                notes="input sides must be multiples of 32 (the route concats)")
    i = 0
    _dn_conv(b, i, 32, 3)
    i += 1
    for out, n in ((64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)):
        _dn_conv(b, i, out, 3, 2)
        i += 1
        for _ in range(n):
            x = b.last
            _dn_conv(b, i, out // 2, 1)
            _dn_conv(b, i + 1, out, 3)
            b.add(f"{i + 2:03d}_shortcut", "add", [b.last, x])
            i += 3
    # i == 75. Stage ends feeding the routes: layer 36 (256 ch), layer 61 (512 ch).
    routes = {36: "036_shortcut", 61: "061_shortcut"}
    for width, skip in ((512, None), (256, 61), (128, 36)):
        if skip is not None:
            i += 1  # the [route] -4 layer: an alias of the branch point, no tensor of its own
            _dn_conv(b, i, width, 1)
            b.upsample(f"{i + 1:03d}_upsample", 2)
            b.concat(f"{i + 2:03d}_route", [b.last, routes[skip]])
            i += 3
        for _ in range(2):
            _dn_conv(b, i, width, 1)
            _dn_conv(b, i + 1, width * 2, 3)
            i += 2
        branch = _dn_conv(b, i, width, 1)
        _dn_conv(b, i + 1, width * 2, 3)
        _dn_head(b, i + 2, classes)
        i += 4  # past the [yolo] layer (decoding only, no tensor kept on the accelerator)
        b.last = branch
    return b.build()


def yolov3_tiny(classes: int = 80):
    b = Builder("yolov3_tiny", default_size=(416, 416), source=DARKNET.format("yolov3-tiny"),
                notes="darknet maxpools pad size-1 pixels at the bottom/right, so the "
                      "size-2 stride-1 pool keeps 13x13 at 416")
    i = 0
    for out in (16, 32, 64, 128, 256, 512):
        _dn_conv(b, i, out, 3)
        stride = 1 if out == 512 else 2
        b.maxpool(f"{i + 1:03d}_maxpool", 2, stride, padding=[0, 0, 1, 1])
        i += 2
    # layer 12..
    _dn_conv(b, 12, 1024, 3)
    branch = _dn_conv(b, 13, 256, 1)
    _dn_conv(b, 14, 512, 3)
    _dn_head(b, 15, classes)
    b.last = branch
    _dn_conv(b, 18, 128, 1)
    b.upsample("019_upsample", 2)
    b.concat("020_route", [b.last, "008_leaky"])
    _dn_conv(b, 21, 256, 3)
    _dn_head(b, 22, classes)
    return b.build()


# -- ViT-B/16 (torchvision vit_b_16; Dosovitskiy et al. 2021) -----------------------------
def vit_b_16():
    """Patch embedding (16x16 stride-16 conv), class token, learned position embedding,
    12 pre-norm encoder blocks (LayerNorm, multi-head self-attention with 12 heads of 64,
    LayerNorm, GELU MLP of 3072), a final LayerNorm and a Linear head on the class token.
    The position embedding fixes the token count: the model runs at 224x224 (to 239x239,
    as torchvision's conv floors) and refuses other sizes."""
    dim, heads, mlp, depth = 768, 12, 3072, 12
    hd = dim // heads
    b = Builder("vit_b_16", source=TV.format("vit_b_16") + "; Dosovitskiy et al. 2021",
                notes="tokens are T x C per image (T = 197 at 224x224: 196 patches and the "
                      "class token); attention scores and context are activation x "
                      "activation matmuls, counted as attention MACs; the position "
                      "embedding is a learned 197x768 operand, so other sizes are refused")
    b.conv("conv_proj", dim, 16, 16, 0, bias=True)
    b.add("flatten", "reshape", kind="flatten", start_dim=2)          # C x (H*W)
    patches = b.add("permute", "reshape", kind="transpose", perm=[1, 0])  # (H*W) x C
    cls = b.add("class_token", "other", [patches], type="class_token", out_shape=[1, dim],
                params=dim)
    b.add("cat", "concat", [cls, patches], axis=1)                    # T x C
    b.add("encoder.pos_embedding", "add", operand=[197, dim])
    for i in range(depth):
        p = f"encoder.layers.encoder_layer_{i}."
        x = b.last
        b.add(p + "ln_1", "norm", kind="layer", axis=-1)
        b.fc(p + "self_attention.in_proj", 3 * dim)
        b.add(p + "self_attention.qkv", "reshape", kind="shape", shape=[-1, 3, heads, hd])
        b.add(p + "self_attention.heads", "reshape", kind="transpose",
              perm=[1, 2, 0, 3])                                       # 3 x heads x T x hd
        qkv = b.add(p + "self_attention.split", "reshape", kind="shape",
                    shape=[3 * heads, -1, hd])
        q, k, v = (b.add(p + f"self_attention.{n}", "reshape", [qkv], kind="slice", axis=0,
                         start=j * heads, end=(j + 1) * heads)         # heads x T x hd
                   for j, n in enumerate("qkv"))
        b.add(p + "self_attention.scores", "matmul", [q, k], transpose_b=True)
        b.add(p + "self_attention.softmax", "softmax", axis=-1)
        b.add(p + "self_attention.context", "matmul", [b.last, v])     # heads x T x hd
        b.add(p + "self_attention.merge", "reshape", kind="transpose", perm=[1, 0, 2])
        b.add(p + "self_attention.merge_heads", "reshape", kind="shape", shape=[-1, dim])
        b.fc(p + "self_attention.out_proj", dim)
        y = b.add(p + "add_1", "add", [b.last, x])
        b.add(p + "ln_2", "norm", kind="layer", axis=-1)
        b.fc(p + "mlp.0", mlp)
        b.act(p + "mlp.1", "gelu")
        b.fc(p + "mlp.3", dim)
        b.add(p + "add_2", "add", [b.last, y])
    b.add("encoder.ln", "norm", kind="layer", axis=-1)
    b.add("class_token_out", "reshape", kind="slice", axis=0, start=0, end=1)
    b.flatten("select")                                                # x[:, 0]
    b.fc("heads.head", 1000)
    return b.build()


ZOO = {
    "resnet50": resnet50,
    "resnet18": resnet18,
    "vgg16": vgg16,
    "googlenet": googlenet,
    "mobilenet_v2": mobilenet_v2,
    "yolov3": yolov3,
    "yolov3_tiny": yolov3_tiny,
    "vit_b_16": vit_b_16,
}


def names() -> list[str]:
    return list(ZOO)


@lru_cache(maxsize=None)
def get(name: str) -> Model:
    key = name.lower().replace("-", "_")
    if key not in ZOO:
        raise ModelError(f"unknown model {name!r}: use a built-in ({', '.join(ZOO)}) or "
                         f"the path of a model file (.yaml, .onnx, .cfg)")
    return ZOO[key]()

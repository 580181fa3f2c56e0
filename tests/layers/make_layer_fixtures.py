#!/usr/bin/python3
"""Computes PyTorch reference values for tests/layers/test_reference_layers.cpp.

Run with a Python that has torch (developed with torch 1.13; torchvision is NOT needed):
    /usr/bin/python3 tests/layers/make_layer_fixtures.py
It rewrites tests/data/layers_reference.txt. The tests read only that file.

Two kinds of content:

1. Layer cases: a small layer with fixed (random, written out) weights, run forward and
   backward in float64 on a fixed input with a fixed upstream gradient.
2. Model layouts: parameter names and shapes, buffer names and state_dict key order of the
   ResNets in torchvision's layout. torchvision is not installed here, so this script
   carries a copy of torchvision's ResNet structure (torchvision/models/resnet.py: the same
   module names, registration order and shapes); its parameter counts (ResNet-18 11,689,512,
   ResNet-34 21,797,672, ResNet-50 25,557,032) are checked against torchvision's documented
   numbers below.

Fixture format: one record per line, fields separated by single spaces; '#' starts a
comment line. Every record is  <case> <kind> <name> [fields]:

    <case> layer <type>                          the layer under test (first record of a case)
    <case> param <key> <value>                   layer configuration (for reading; the C++ test
                                                 builds the same layer)
    <case> mode - train|eval                     the layer's mode for the forward pass
    <case> state <name> <ndim> <dims> <vals>     state_dict entry to load (float)
    <case> istate <name> <ndim> <dims> <vals>    state_dict entry to load (int64)
    <case> in x <ndim> <dims> <vals>             the input
    <case> gout - <ndim> <dims> <vals>           upstream gradient of the output
    <case> out - <ndim> <dims> <vals>            forward output
    <case> grad <name> <ndim> <dims> <vals>      d(out . gout)/d(x or parameter <name>)
    <case> after <name> <ndim> <dims> <vals>     a buffer after the forward pass (float)
    <case> iafter <name> <ndim> <dims> <vals>    a buffer after the forward pass (int64)

    <model> pshape <name> <ndim> <dims>          named_parameters() in order, with shapes
    <model> buffer <name> <ndim> <dims>          named_buffers() in order
    <model> skey <name>                          state_dict() keys in order
    <model> count - <n>                          number of parameters

Floats use %.17g (exact double round trip); values are row-major.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.normpath(os.path.join(HERE, "..", "data", "layers_reference.txt"))
DT = torch.float64

torch.manual_seed(1234)
lines = []


def fmt_float(v):
    s = "%.17g" % v
    assert s not in ("nan", "inf", "-inf")
    assert v == 0.0 or abs(v) > 1e-300
    return s


def dims(t):
    return [str(t.dim())] + [str(d) for d in t.shape]


def rec(case, kind, name, t=None, values=True):
    fields = [case, kind, name]
    if t is not None:
        t = t.detach().contiguous()
        fields += dims(t)
        if values:
            if t.dtype in (torch.int64, torch.int32):
                fields += [str(int(v)) for v in t.flatten().tolist()]
            else:
                fields += [fmt_float(v) for v in t.flatten().tolist()]
    lines.append(" ".join(fields))


# ------------------------------------------------------------------------------ layer cases

def randomize(module):
    """Fixed random weights; BN weights near 1 and non-trivial BN running statistics."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(1.0 + 0.3 * torch.randn_like(m.weight))
                m.bias.copy_(0.3 * torch.randn_like(m.bias))
                m.running_mean.copy_(0.3 * torch.randn_like(m.running_mean))
                m.running_var.copy_(0.5 + torch.rand_like(m.running_var))
                m.num_batches_tracked.fill_(3)
            else:
                for p in m.parameters(recurse=False):
                    p.copy_(0.5 * torch.randn_like(p))


def layer_case(case, module, x, mode, params, type_name):
    module = module.to(DT)
    randomize(module)
    rec(case, "layer", type_name)
    for k, v in params:
        rec(case, "param", k + " " + str(v))
    rec(case, "mode", "- " + mode)
    for name, t in module.state_dict().items():
        rec(case, "istate" if t.dtype == torch.int64 else "state", name, t)
    module.train(mode == "train")
    x = x.to(DT).requires_grad_(True)
    rec(case, "in", "x", x)
    y = module(x)
    gout = torch.randn_like(y)
    rec(case, "gout", "-", gout)
    rec(case, "out", "-", y)
    y.backward(gout)
    rec(case, "grad", "x", x.grad)
    for name, p in module.named_parameters():
        rec(case, "grad", name, p.grad)
    for name, b in module.named_buffers():
        rec(case, "iafter" if b.dtype == torch.int64 else "after", name, b)


# ------------------------------------------------------------------------------ torchvision ResNet
# A copy of torchvision.models.resnet's structure (v0.14), reduced to what sets names and shapes.

def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, in_channels=3, small_input=False):
        super().__init__()
        self.inplanes = 64
        if small_input:  # the usual small-image stem: 3x3 stride-1 conv1, maxpool = Identity
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)


class CifarResNet(nn.Module):
    """ember's CIFAR ResNet: 16/32/64 channels, projection (1x1 conv + BN) shortcuts."""

    def __init__(self, depth, num_classes=10, in_channels=3):
        super().__init__()
        n = (depth - 2) // 6
        self.inplanes = 16
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, n, 1)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for i in range(blocks):
            s = stride if i == 0 else 1
            ds = None
            if s != 1 or self.inplanes != planes:
                ds = nn.Sequential(conv1x1(self.inplanes, planes, s), nn.BatchNorm2d(planes))
            layers.append(BasicBlock(self.inplanes, planes, s, ds))
            self.inplanes = planes
        return nn.Sequential(*layers)


def model_layout(name, model, count_only=False):
    for pname, p in ([] if count_only else model.named_parameters()):
        rec(name, "pshape", pname, p, values=False)
    for bname, b in ([] if count_only else model.named_buffers()):
        rec(name, "buffer", bname, b, values=False)
    for key in ([] if count_only else model.state_dict().keys()):
        rec(name, "skey", key)
    count = sum(p.numel() for p in model.parameters())
    rec(name, "count", "- " + str(count))
    return count


def main():
    lines.append("# ember layer reference values; generated by tests/layers/make_layer_fixtures.py")
    lines.append("# torch %s; do not edit by hand" % torch.__version__)

    # Linear
    layer_case("linear", nn.Linear(5, 3), torch.randn(4, 5), "train",
               [("in_features", 5), ("out_features", 3)], "Linear")
    # Conv2d: stride 2, padding 1, dilation 2, groups 2, non-square input
    layer_case("conv_sdg", nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2),
               torch.randn(2, 4, 9, 7), "train",
               [("in_channels", 4), ("out_channels", 6), ("kernel", "3x3"), ("stride", "2x2"),
                ("padding", "1x1"), ("dilation", "2x2"), ("groups", 2)], "Conv2d")
    # Conv2d: non-square kernel and strides, no bias
    layer_case("conv_rect", nn.Conv2d(3, 4, (2, 3), stride=(1, 2), padding=(0, 1), bias=False),
               torch.randn(2, 3, 6, 5), "train",
               [("in_channels", 3), ("out_channels", 4), ("kernel", "2x3"), ("stride", "1x2"),
                ("padding", "0x1"), ("bias", "false")], "Conv2d")
    # BatchNorm2d, training (batch statistics; running stats updated) and eval
    layer_case("bn2d_train", nn.BatchNorm2d(3), torch.randn(4, 3, 5, 3) * 2 + 1, "train",
               [("num_features", 3)], "BatchNorm2d")
    layer_case("bn2d_eval", nn.BatchNorm2d(3), torch.randn(4, 3, 5, 3) * 2 + 1, "eval",
               [("num_features", 3)], "BatchNorm2d")
    layer_case("bn1d_train", nn.BatchNorm1d(4), torch.randn(6, 4), "train",
               [("num_features", 4)], "BatchNorm1d")
    # Pooling
    layer_case("maxpool", nn.MaxPool2d(3, stride=2, padding=1), torch.randn(2, 3, 7, 6), "train",
               [("kernel", 3), ("stride", 2), ("padding", 1)], "MaxPool2d")
    layer_case("maxpool_ceil", nn.MaxPool2d(2, stride=2, ceil_mode=True), torch.randn(1, 2, 5, 5), "train",
               [("kernel", 2), ("stride", 2), ("ceil_mode", "true")], "MaxPool2d")
    layer_case("avgpool", nn.AvgPool2d(3, stride=2, padding=1), torch.randn(2, 3, 7, 6), "train",
               [("kernel", 3), ("stride", 2), ("padding", 1)], "AvgPool2d")
    layer_case("avgpool_nopad_ceil", nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
               torch.randn(1, 2, 6, 5), "train",
               [("kernel", 3), ("stride", 2), ("padding", 1), ("ceil_mode", "true"), ("count_include_pad", "false")],
               "AvgPool2d")
    layer_case("adaptive_avgpool", nn.AdaptiveAvgPool2d((2, 3)), torch.randn(2, 3, 5, 7), "train",
               [("output_size", "2x3")], "AdaptiveAvgPool2d")
    # A residual block with a projection shortcut, in training and in eval mode
    for mode in ("train", "eval"):
        block = BasicBlock(3, 4, 2, nn.Sequential(conv1x1(3, 4, 2), nn.BatchNorm2d(4)))
        layer_case("basic_block_" + mode, block, torch.randn(2, 3, 5, 5), mode,
                   [("inplanes", 3), ("planes", 4), ("stride", 2), ("downsample", "projection")], "BasicBlock")

    # Model layouts
    counts = {
        "resnet18": model_layout("resnet18", ResNet(BasicBlock, [2, 2, 2, 2])),
        "resnet34": model_layout("resnet34", ResNet(BasicBlock, [3, 4, 6, 3])),
        "resnet50": model_layout("resnet50", ResNet(Bottleneck, [3, 4, 6, 3])),
    }
    # torchvision's documented parameter counts: the copy above has its layout.
    assert counts == {"resnet18": 11689512, "resnet34": 21797672, "resnet50": 25557032}, counts
    model_layout("resnet18_small_c1_k10", ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10, in_channels=1,
                                                 small_input=True))
    model_layout("resnet20", CifarResNet(20))
    model_layout("resnet32", CifarResNet(32), count_only=True)
    model_layout("resnet56", CifarResNet(56), count_only=True)
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    model_layout("mlp", mlp)

    with open(OUT_PATH, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s (%d records)" % (OUT_PATH, len(lines)))


if __name__ == "__main__":
    main()

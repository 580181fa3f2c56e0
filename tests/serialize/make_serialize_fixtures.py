#!/usr/bin/python3
"""PyTorch side of ember's safetensors interop tests (tests/serialize/test_interop.cpp).

Needs a Python with torch (developed with torch 1.13). Neither torchvision nor the
`safetensors` package is needed: this script carries its own small safetensors writer and
reader (the format: an 8-byte little-endian header length N, N bytes of JSON header
{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
{...}}, padded with spaces, then the raw little-endian tensor bytes) and copies of the
model structures (from tests/layers/make_layer_fixtures.py, which copies torchvision's).

Commands:
    make_serialize_fixtures.py [fixtures]
        Rewrites the committed fixtures in tests/data/ (the C++ tests need only these):
          serialize_resnet20.safetensors     ember's CIFAR ResNet-20 (in_channels 1, 10 classes),
                                             random weights, non-trivial BN running statistics
          serialize_resnet20_io.safetensors  "input" [2,1,28,28] and eval-mode "logits" [2,10] (F32)
          serialize_tiny.safetensors         Sequential(Conv2d(2,4,3,padding=1), BatchNorm2d(4),
                                             ReLU, Flatten, Linear(100,3)) in float64
          serialize_tiny_io.safetensors      "input" [2,2,5,5] and eval-mode "logits" [2,3] (F64)
          serialize_dtypes.safetensors       one small tensor per dtype (F64 F32 F16 BF16 I64 I32
                                             U8 BOOL) with values the C++ test recomputes
    make_serialize_fixtures.py resnet18-write DIR
        Writes DIR/resnet18.safetensors (torchvision's ResNet-18, 1000 classes, random weights)
        and DIR/resnet18_io.safetensors ("input" [2,3,64,64], eval-mode "logits").
    make_serialize_fixtures.py resnet18-check DIR
        Loads DIR/ember_resnet18.safetensors (written by ember's save_weights) strictly into
        the torch ResNet-18, runs it in eval mode on "input" of DIR/ember_io.safetensors and
        compares with ember's "logits" there. Exit status 0 when they agree.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data"))

# ------------------------------------------------------------------------------ safetensors

DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}
FROM_NAME = {v: k for k, v in DTYPES.items()}


def tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: same bits as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save_file(tensors, path, metadata=None):
    """tensors: dict name -> tensor, written in the dict's order."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_file(path):
    """Strict reader: returns dict name -> tensor in the order of the data offsets."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: shorter than 8 bytes" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("%s: header length %d past the end" % (path, n))

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("%s: duplicate keys" % path)
        return dict(pairs)

    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    body = bytearray(data[8 + n:])
    header.pop("__metadata__", None)
    out, spans = {}, []
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        if set(e) != {"dtype", "shape", "data_offsets"}:
            raise ValueError("%s: bad entry %s" % (path, name))
        dt = FROM_NAME[e["dtype"]]
        begin, end = e["data_offsets"]
        numel = 1
        for d in e["shape"]:
            numel *= d
        itemsize = torch.empty(0, dtype=dt).element_size()
        if not (0 <= begin <= end <= len(body)) or end - begin != numel * itemsize:
            raise ValueError("%s: bad data_offsets for %s" % (path, name))
        if begin != end:
            spans.append((begin, end, name))
        chunk = body[begin:end]
        t = torch.frombuffer(chunk, dtype=dt) if numel else torch.empty(0, dtype=dt)
        out[name] = t.reshape(e["shape"]).clone()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ValueError("%s: %s and %s overlap" % (path, n0, n1))
    return out


# ------------------------------------------------------------------------------ models
# The same structures as tests/layers/make_layer_fixtures.py (torchvision's ResNet layout,
# and ember's CIFAR ResNet with 1x1 conv + BN projection shortcuts).

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


class ResNet(nn.Module):
    def __init__(self, layers, num_classes=1000, in_channels=3, small_input=False):
        super().__init__()
        self.inplanes = 64
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class CifarResNet(nn.Module):
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

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomize(model):
    """Random weights at a scale that keeps activations O(1) through a deep net, and
    non-trivial BN running statistics (so eval mode differs from the identity)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1.0 + 0.2 * torch.randn_like(m.weight))
                m.bias.copy_(0.2 * torch.randn_like(m.bias))
                m.running_mean.copy_(0.2 * torch.randn_like(m.running_mean))
                m.running_var.copy_(0.5 + torch.rand_like(m.running_var))
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, ())))
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn_like(m.weight) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn_like(m.bias))
    return model.eval()


def tiny_net():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(100, 3))


def dtype_tensors():
    """Values the C++ test recomputes from the element index i (all exactly representable)."""
    i = torch.arange(12)
    d = i.to(torch.float64)
    return {
        "f64": ((d - 5.5) * 0.125).reshape(3, 4),
        "f32": ((d - 5.5) * 0.25).to(torch.float32).reshape(2, 3, 2),
        "f16": ((d - 5.5) * 0.5).to(torch.float16).reshape(12),
        "bf16": ((d - 5.5) * 2.0).to(torch.bfloat16).reshape(4, 3),
        "i64": ((i - 6) * 1000000007).to(torch.int64).reshape(6, 2),
        "i32": ((i - 6) * 100003).to(torch.int32).reshape(2, 6),
        "u8": (i * 21).to(torch.uint8).reshape(3, 2, 2),
        "bool": (i % 3 == 0).reshape(1, 12),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


# ------------------------------------------------------------------------------ commands

def make_fixtures():
    torch.manual_seed(20261125)
    r20 = randomize(CifarResNet(20, num_classes=10, in_channels=1))
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        logits = r20(x)
    meta = {"format": "pt", "generator": "tests/serialize/make_serialize_fixtures.py", "torch": torch.__version__}
    save_file(r20.state_dict(), os.path.join(DATA, "serialize_resnet20.safetensors"), meta)
    save_file({"input": x, "logits": logits}, os.path.join(DATA, "serialize_resnet20_io.safetensors"))

    tiny = randomize(tiny_net().to(torch.float64))
    x = torch.randn(2, 2, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        logits = tiny(x)
    save_file(tiny.state_dict(), os.path.join(DATA, "serialize_tiny.safetensors"), meta)
    save_file({"input": x, "logits": logits}, os.path.join(DATA, "serialize_tiny_io.safetensors"))

    save_file(dtype_tensors(), os.path.join(DATA, "serialize_dtypes.safetensors"), meta)
    # Self-check of the reader on what was written.
    back = load_file(os.path.join(DATA, "serialize_resnet20.safetensors"))
    assert list(back) == list(r20.state_dict()), "order"
    for k, v in r20.state_dict().items():
        assert torch.equal(back[k], v), k
    print("wrote fixtures to %s" % DATA)


def resnet18_write(out_dir):
    torch.manual_seed(18)
    model = randomize(ResNet([2, 2, 2, 2]))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = model(x)
    save_file(model.state_dict(), os.path.join(out_dir, "resnet18.safetensors"), {"format": "pt"})
    save_file({"input": x, "logits": logits}, os.path.join(out_dir, "resnet18_io.safetensors"))
    print("wrote %s/resnet18.safetensors" % out_dir)


def resnet18_check(out_dir):
    model = ResNet([2, 2, 2, 2])
    weights = load_file(os.path.join(out_dir, "ember_resnet18.safetensors"))
    model.load_state_dict(weights, strict=True)
    model.eval()
    io = load_file(os.path.join(out_dir, "ember_io.safetensors"))
    with torch.no_grad():
        logits = model(io["input"])
    ref = io["logits"]
    err = (logits - ref).abs().max().item()
    scale = ref.abs().max().item()
    print("torch vs ember logits: max abs difference %.3g (max |logit| %.3g)" % (err, scale))
    if not torch.allclose(logits, ref, rtol=1e-4, atol=1e-4):
        print("MISMATCH")
        return 1
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "fixtures"
    if cmd == "fixtures":
        make_fixtures()
        return 0
    if cmd == "resnet18-write":
        resnet18_write(argv[2])
        return 0
    if cmd == "resnet18-check":
        return resnet18_check(argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""PyTorch (eager) side of benchmarks/bench_cuda.cpp: the same measurements, names, shapes,
flags and output format, on the same card, so that tools/gpu_check.sh can print ratios.

One line per measurement:
    bench=<name> shape=<shape> ms=<median ms> [tflops=...] [images_per_s=...] [peak_mb=...] [us_per_op=...]
or `bench=<name> shape=<shape> error=<message>`; lines starting with '#' are comments.

TF32 is set explicitly for every measurement (off unless the name says tf32), since PyTorch's
own default allows it for cuDNN convolutions. Layout is NCHW (channels-first), as in ember.
ResNet-20 (CIFAR, projection shortcuts) and ResNet-50 (torchvision's v1.5 layout) are defined
here to match ember's layers/cifar_resnet.cpp and layers/resnet.cpp, so torchvision is not
needed.
"""
import argparse
import statistics
import sys
import time

GROUPS = ["matmul", "conv", "resnet50", "resnet20", "overhead"]

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("torch_cuda: PyTorch is not installed; nothing measured")
    sys.exit(0)

ERRORS = 0


def set_tf32(on):
    # PyTorch >= 2.9 has per-backend precision settings and warns about the old flags.
    mm = torch.backends.cuda.matmul
    if hasattr(mm, "fp32_precision") and hasattr(torch.backends.cudnn, "conv"):
        mm.fp32_precision = "tf32" if on else "ieee"
        torch.backends.cudnn.conv.fp32_precision = "tf32" if on else "ieee"
    else:
        mm.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on


def emit(bench, shape, ms, **extra):
    line = f"bench={bench} shape={shape} ms={ms:.4f}"
    for k, v in extra.items():
        line += f" {k}={v:.4g}"
    print(line, flush=True)


def emit_error(bench, shape, what):
    global ERRORS
    ERRORS += 1
    msg = " ".join(str(what).split())
    print(f"bench={bench} shape={shape} error={msg}", flush=True)


def guarded(bench, shape, body):
    try:
        body()
    except Exception as e:  # noqa: BLE001 - any failure becomes an error line
        emit_error(bench, shape, f"{type(e).__name__}: {e}")
        try:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass


def time_gpu(cfg, fn):
    """Median ms of fn on the current stream, timed with CUDA events."""
    t0 = time.perf_counter()
    for _ in range(cfg.warmup):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    ms = []
    for _ in range(max(cfg.iters, 1)):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        ms.append(start.elapsed_time(stop))
        if time.perf_counter() - t0 > cfg.max_seconds:
            break
    return statistics.median(ms)


def randn(*shape, seed):
    g = torch.Generator(device="cuda")
    g.manual_seed(seed)
    return torch.randn(*shape, device="cuda", generator=g)


# ---- models, as ember builds them ----


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


def projection(cin, cout, stride):
    return nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))


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

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)  # v1.5: the stride sits on the 3x3
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * 4)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class CifarResNet(nn.Module):
    """ember's CifarResNet: 3x3 stem (16), stages of 16/32/64, 1x1+BN projection shortcuts."""

    def __init__(self, depth=20, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = conv3x3(3, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.inplanes = 16
        self.layer1 = self._stage(16, n, 1)
        self.layer2 = self._stage(32, n, 2)
        self.layer3 = self._stage(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def _stage(self, planes, blocks, stride):
        layers = []
        for i in range(blocks):
            s = stride if i == 0 else 1
            ds = projection(self.inplanes, planes, s) if (s != 1 or self.inplanes != planes) else None
            layers.append(BasicBlock(self.inplanes, planes, s, ds))
            self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ResNet50(nn.Module):
    """torchvision's resnet50 layout (ember's layers/resnet.cpp)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.inplanes = 64
        self.layer1 = self._stage(64, 3, 1)
        self.layer2 = self._stage(128, 4, 2)
        self.layer3 = self._stage(256, 6, 2)
        self.layer4 = self._stage(512, 3, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _stage(self, planes, blocks, stride):
        layers = []
        for i in range(blocks):
            s = stride if i == 0 else 1
            ds = None
            if i == 0 and (stride != 1 or self.inplanes != planes * 4):
                ds = projection(self.inplanes, planes * 4, stride)
            layers.append(Bottleneck(self.inplanes, planes, s, ds))
            self.inplanes = planes * 4
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---- measurements ----


def bench_matmul(cfg):
    sizes = [4096] + ([8192] if cfg.big else [])
    for n in sizes:
        shape = f"{n}x{n}x{n}"
        flops = 2.0 * n * n * n
        a32 = randn(n, n, seed=1)
        b32 = randn(n, n, seed=2)
        for name, dtype, tf32 in (("matmul_f32", torch.float32, False), ("matmul_tf32", torch.float32, True),
                                  ("matmul_bf16", torch.bfloat16, False)):
            def body():
                a, b = a32.to(dtype), b32.to(dtype)
                set_tf32(tf32)
                try:
                    ms = time_gpu(cfg, lambda: torch.matmul(a, b))
                finally:
                    set_tf32(False)
                emit(name, shape, ms, tflops=flops / (ms * 1e-3) / 1e12)

            guarded(name, shape, body)
        del a32, b32
    torch.cuda.empty_cache()


# (c, hw, o, k, stride, pad, input_grad): as kResNet50Convs in bench_cuda.cpp.
RESNET50_CONVS = [
    (3, 224, 64, 7, 2, 3, False),
    (64, 56, 64, 1, 1, 0, True), (64, 56, 64, 3, 1, 1, True), (64, 56, 256, 1, 1, 0, True),
    (256, 56, 64, 1, 1, 0, True),
    (128, 56, 128, 3, 2, 1, True),
    (512, 28, 128, 1, 1, 0, True), (128, 28, 128, 3, 1, 1, True), (128, 28, 512, 1, 1, 0, True),
    (1024, 14, 256, 1, 1, 0, True), (256, 14, 256, 3, 1, 1, True), (256, 14, 1024, 1, 1, 0, True),
    (2048, 7, 512, 1, 1, 0, True), (512, 7, 512, 3, 1, 1, True), (512, 7, 2048, 1, 1, 0, True),
]


def bench_conv(cfg):
    n = cfg.conv_batch
    set_tf32(False)
    seed = 100
    for c, hw, o, k, stride, pad, input_grad in RESNET50_CONVS:
        out_hw = (hw + 2 * pad - k) // stride + 1
        shape = f"n{n}_c{c}_hw{hw}_o{o}_k{k}_s{stride}"
        seeds = (seed + 1, seed + 2, seed + 3)
        seed += 3

        def body():
            x = randn(n, c, hw, hw, seed=seeds[0]).requires_grad_(input_grad)
            w = randn(o, c, k, k, seed=seeds[1]).requires_grad_(True)
            gy = randn(n, o, out_hw, out_hw, seed=seeds[2])

            def step():
                x.grad = None
                w.grad = None
                F.conv2d(x, w, None, stride, pad).backward(gy)

            ms = time_gpu(cfg, step)
            fwd = 2.0 * n * o * out_hw * out_hw * c * k * k
            emit("conv_fwd_bwd", shape, ms, tflops=fwd * (3.0 if input_grad else 2.0) / (ms * 1e-3) / 1e12)

        guarded("conv_fwd_bwd", shape, body)
    torch.cuda.empty_cache()


def bench_train(cfg, bench, make_model, batch, hw, classes, tf32):
    shape = f"b{batch}_{hw}x{hw}"

    def body():
        model = make_model().cuda().train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        x = randn(batch, 3, hw, hw, seed=7)
        g = torch.Generator(device="cuda")
        g.manual_seed(8)
        y = torch.randint(0, classes, (batch,), device="cuda", generator=g)
        set_tf32(tf32)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        try:
            ms = time_gpu(cfg, step)
        finally:
            set_tf32(False)
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
        emit(bench, shape, ms, images_per_s=batch / (ms * 1e-3), peak_mb=peak_mb)

    guarded(bench, shape, body)
    torch.cuda.empty_cache()


def bench_overhead(cfg):
    shape = "16"
    a = randn(16, seed=3)
    b = randn(16, seed=4)

    def run(bench, op):
        def body():
            for _ in range(100):
                op()
            torch.cuda.synchronize()
            us = []
            t_all = time.perf_counter()
            for _ in range(max(cfg.iters // 2, 3)):
                t0 = time.perf_counter()
                for _ in range(cfg.overhead_ops):
                    op()
                torch.cuda.synchronize()
                us.append((time.perf_counter() - t0) * 1e6 / cfg.overhead_ops)
                if time.perf_counter() - t_all > cfg.max_seconds:
                    break
            per_op = statistics.median(us)
            emit(bench, shape, per_op * 1e-3, us_per_op=per_op)

        guarded(bench, shape, body)

    run("add_overhead", lambda: a + b)
    run("add_inplace_overhead", lambda: a.add_(b))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(GROUPS), help="comma-separated subset of " + ",".join(GROUPS))
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=10.0, help="per measurement, warm-up included")
    p.add_argument("--no-big", dest="big", action="store_false", help="skip the 8192^3 matmuls")
    p.add_argument("--no-tf32-models", dest="tf32_models", action="store_false")
    p.add_argument("--conv-batch", type=int, default=32)
    p.add_argument("--r50-batch", type=int, default=128)
    p.add_argument("--r20-batch", type=int, default=128)
    p.add_argument("--overhead-ops", type=int, default=10000)
    cfg = p.parse_args()
    only = set(cfg.only.split(","))
    unknown = only - set(GROUPS)
    if unknown:
        p.error(f"unknown group(s): {','.join(sorted(unknown))}")
    if not torch.cuda.is_available():
        print(f"torch_cuda: no CUDA device (torch {torch.__version__}); nothing measured")
        return 0
    print(f'# torch_cuda device="{torch.cuda.get_device_name(0)}" torch={torch.__version__} '
          f"cudnn={torch.backends.cudnn.version()} iters={cfg.iters} warmup={cfg.warmup} "
          f"max_seconds={cfg.max_seconds:g}", flush=True)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    set_tf32(False)
    if "overhead" in only:
        bench_overhead(cfg)
    if "matmul" in only:
        bench_matmul(cfg)
    if "conv" in only:
        bench_conv(cfg)
    if "resnet20" in only:
        bench_train(cfg, "resnet20_train", lambda: CifarResNet(20, 10), cfg.r20_batch, 32, 10, False)
    if "resnet50" in only:
        bench_train(cfg, "resnet50_train", ResNet50, cfg.r50_batch, 224, 1000, False)
        if cfg.tf32_models:
            bench_train(cfg, "resnet50_train_tf32", ResNet50, cfg.r50_batch, 224, 1000, True)
    print(f"# torch_cuda done in {time.perf_counter() - t0:.1f} s, {ERRORS} error(s)", flush=True)
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main())

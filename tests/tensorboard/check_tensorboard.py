"""Reads the event files that tb_writer (ember's SummaryWriter) writes with TensorBoard's own
readers and checks that everything comes back exactly: the Python event accumulator (size
guidance 0: keep everything), the plugin multiplexer and data provider with the hparams
plugin's handlers (what `tensorboard --load_fast=false` serves), and the Rust data server
that `tensorboard --logdir` uses by default. Also: records cut at arbitrary offsets, a writer
killed mid-write, and a resumed run with a purge step. Run by run_checks.sh (ctest).
"""
import argparse
import bisect
import logging
import math
import os
import random
import signal
import struct
import subprocess
import sys
import time
import traceback
import zlib


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def f32(x):
    """x rounded to float32 as C++'s static_cast<float> does (overflow gives infinity)."""
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        # pack refuses what rounds to infinity; anything between FLT_MAX and FLT_MAX + ulp/2
        # rounds down to FLT_MAX, which pack accepts.
        return math.copysign(math.inf, x)


def same(a, b):
    """Equal as floats, NaN equal to NaN, and -0 different from +0."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


EXTREMES = [1e-30, 1e30, -1e30, 1e-45, 3.4e38, math.nan, math.inf, -math.inf,
            0.0, -0.0, 1e300, 0.1, -2.5, 1.0 / 3.0, 1e-38, 16777217.0]


def pixel(c, y, x):
    return (x * 7 + y * 13 + c * 50) % 256


def decode_png(data):
    """(width, height, channels, rows of bytes) of an 8-bit non-interlaced PNG, with zlib."""
    expect(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        expect(zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0],
               f"PNG chunk {kind} CRC")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = ihdr
    expect(depth == 8 and interlace == 0, f"PNG depth {depth} interlace {interlace}")
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    stride = w * channels
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def check_image(png, c, h, w, expected):
    width, height, channels, rows = decode_png(png)
    expect((width, height, channels) == (w, h, c), f"PNG is {width}x{height}x{channels}, wrote {w}x{h}x{c}")
    for y in range(h):
        for x in range(w):
            for k in range(c):
                got = rows[y][x * c + k]
                expect(got == expected(k, y, x), f"pixel ({k},{y},{x}) is {got}, wrote {expected(k, y, x)}")


def read_frames(path):
    """(offset, payload) of each complete record, by our own reading of the framing; and the
    number of bytes after the last complete record."""
    data = open(path, "rb").read()
    out, at = [], 0
    while at + 12 <= len(data):
        (n,) = struct.unpack("<Q", data[at:at + 8])
        if at + 12 + n + 4 > len(data):
            break
        out.append((at, data[at + 12:at + 12 + n]))
        at += 12 + n + 4
    return out, len(data) - at


class TB:
    """TensorBoard's modules, imported once."""

    def __init__(self):
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.backend.event_processing import event_file_loader
        from tensorboard.backend.event_processing import plugin_event_multiplexer
        from tensorboard.backend.event_processing import data_provider
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
        from tensorboard import context
        self.ea = event_accumulator
        self.loader = event_file_loader
        self.mux = plugin_event_multiplexer
        self.dp = data_provider
        self.event_pb2 = event_pb2
        self.tensor_util = tensor_util
        self.context = context

    def accumulator(self, path):
        keep_all = {k: 0 for k in (self.ea.COMPRESSED_HISTOGRAMS, self.ea.IMAGES, self.ea.AUDIO,
                                   self.ea.SCALARS, self.ea.HISTOGRAMS, self.ea.TENSORS)}
        acc = self.ea.EventAccumulator(path, size_guidance=keep_all)
        acc.Reload()
        return acc

    def provider(self, logdir):
        plugins = ("scalars", "histograms", "images", "text", "hparams")
        mux = self.mux.EventMultiplexer(size_guidance={self.ea.TENSORS: 0},
                                        tensor_size_guidance={p: 0 for p in plugins})
        mux.AddRunsFromDirectory(logdir)
        mux.Reload()
        return mux, self.dp.MultiplexerDataProvider(mux, logdir)

    def events(self, path):
        return list(self.loader.EventFileLoader(path).Load())


def scalar_values(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def expect_scalars(got, expected, what):
    expect(len(got) == len(expected), f"{what}: {len(got)} points, wrote {len(expected)}")
    for (gs, gv), (es, ev) in zip(got, expected):
        expect(gs == es, f"{what}: step {gs} where {es} was written")
        expect(same(gv, ev), f"{what}: step {es} reads {gv!r}, wrote {ev!r}")


def expected_main_scalars():
    lr, out = 0.1, {k: [] for k in ("loss", "acc", "lr", "extreme", "timed")}
    for s in range(500):
        out["loss"].append((s, f32(1.0 / (s + 1))))
        out["acc"].append((s, f32(s / 500.0)))
        out["lr"].append((s, f32(lr)))
        lr *= 0.99
        out["extreme"].append((s, f32(EXTREMES[s % len(EXTREMES)])))
        out["timed"].append((s, f32(s * 0.25)))
    out["acc/final"] = [(499, f32(0.93))]
    return out


def expected_histograms():
    """tag -> list of (step, values, bins)."""
    out = {"weights": [(k, [i * 0.5 - 7 + k for i in range(100)], 8) for k in range(3)]}
    out["grads"] = [(0, [float((i * 37) % 1000 - 500) for i in range(1000)], 30)]
    out["activations"] = [(0, [f32(((i * 53) % 777) / 8.0 - 30) for i in range(1000)], 30)]
    out["constant"] = [(0, [2.5] * 5, 30)]
    out["empty"] = [(0, [], 30)]
    return out


def check_histogram(h, values, bins, exact_edges, what):
    if not values:
        expect(h.num == 0 and len(h.bucket) == 0, f"{what}: empty histogram has num {h.num}, {len(h.bucket)} buckets")
        return
    mn, mx = min(values), max(values)
    expect((h.min, h.max, h.num) == (mn, mx, len(values)), f"{what}: min/max/num {h.min}/{h.max}/{h.num}")
    s = 0.0
    sq = 0.0
    for v in values:
        s += v
        sq += v * v
    expect(h.sum == s and h.sum_squares == sq, f"{what}: sum {h.sum} (wrote {s}), sum of squares {h.sum_squares} ({sq})")
    n = 1 if mn == mx else bins
    limits = list(h.bucket_limit)
    expect(len(limits) == n and len(h.bucket) == n, f"{what}: {len(limits)} bucket limits, {len(h.bucket)} counts, expected {n}")
    expect(limits[-1] == mx and all(a <= b for a, b in zip(limits, limits[1:])), f"{what}: bucket limits {limits}")
    for i in range(n):
        want = mn + (mx - mn) * (i + 1) / n
        ok = limits[i] == want if exact_edges else abs(limits[i] - want) <= 1e-9 * max(1.0, abs(mx - mn))
        expect(ok, f"{what}: bucket limit {i} is {limits[i]!r}, expected {want!r}")
    counts = [0] * n
    for v in values:
        counts[bisect.bisect_right(limits[:-1], v)] += 1
    expect(list(h.bucket) == counts, f"{what}: bucket counts {list(h.bucket)}, expected {counts}")


def float_image_expected(k, y, x, w=30):
    i = y * w + x
    if i % 11 == 0:
        return 255 if i % 2 else 0
    v = f32(pixel(0, y, x) / 255.0)
    return math.floor(min(max(v, 0.0), 1.0) * 255.0 + 0.5)


IMAGES = {"image/rgb": (0, 3, 20, 30, pixel), "image/rgba": (1, 4, 8, 8, pixel),
          "image/gray_float": (2, 1, 20, 30, float_image_expected)}


def write(args, *cmd):
    return subprocess.run([args.writer, *cmd], capture_output=True, text=True, timeout=60)


def event_file(run_dir):
    files = sorted(f for f in os.listdir(run_dir) if "tfevents" in f)
    return [os.path.join(run_dir, f) for f in files]


# ---- the checks ----

def check_descriptors(tb, args):
    """Every field of metrics/tensorboard.proto has TensorBoard's number, name, type and label."""
    from google.protobuf import descriptor_pb2
    from tensorboard.compat.proto import event_pb2, summary_pb2, histogram_pb2, tensor_pb2  # noqa: F401
    from tensorboard.compat.proto import tensor_shape_pb2, types_pb2  # noqa: F401
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2  # noqa: F401
    from google.protobuf import descriptor_pool
    pool = descriptor_pool.Default()
    fds = descriptor_pb2.FileDescriptorSet.FromString(open(args.descriptor_set, "rb").read())
    ours = [f for f in fds.file if f.name == "ember/metrics/tensorboard.proto"]
    expect(len(ours) == 1, "the descriptor set lacks ember/metrics/tensorboard.proto")
    ours = ours[0]
    renamed = {"HParamDataType": "tensorboard.hparams.DataType", "Status": "tensorboard.hparams.Status"}
    hparams = {"HParamInfo", "MetricName", "MetricInfo", "Experiment", "SessionStartInfo",
               "SessionEndInfo", "HParamsPluginData"}

    def theirs(name):  # ours ".ember.tensorboard.A.B" -> TensorBoard's full name
        parts = name.lstrip(".").split(".")[2:]
        top = parts[0]
        if top in renamed:
            return ".".join([renamed[top]] + parts[1:])
        return ".".join(["tensorboard.hparams" if top in hparams else "tensorboard"] + parts)

    def their_proto(name, enum):
        d = pool.FindEnumTypeByName(name) if enum else pool.FindMessageTypeByName(name)
        p = descriptor_pb2.EnumDescriptorProto() if enum else descriptor_pb2.DescriptorProto()
        d.CopyToProto(p)
        return p

    checked = 0

    def walk(msgs, enums, prefix):
        nonlocal checked
        for e in enums:
            t = their_proto(theirs(prefix + "." + e.name), enum=True)
            tv = {v.number: v.name for v in t.value}
            for v in e.value:
                expect(tv.get(v.number) == v.name, f"enum {e.name}: {v.name} = {v.number}, TensorBoard: {tv.get(v.number)}")
                checked += 1
        for m in msgs:
            full = prefix + "." + m.name
            t = their_proto(theirs(full), enum=False)
            tf = {f.number: f for f in t.field}
            for f in m.field:
                g = tf.get(f.number)
                expect(g is not None, f"{m.name}.{f.name} = {f.number}: no such field number in {theirs(full)}")
                expect((g.name, g.type, g.label) == (f.name, f.type, f.label),
                       f"{m.name}.{f.name} = {f.number}: TensorBoard has {g.name} (type {g.type}, label {g.label}), "
                       f"ours type {f.type}, label {f.label}")
                if f.type_name and not f.type_name.startswith(".google."):
                    expect(theirs(f.type_name) == g.type_name.lstrip("."),
                           f"{m.name}.{f.name}: type {f.type_name}, TensorBoard {g.type_name}")
                elif f.type_name:
                    expect(f.type_name == g.type_name, f"{m.name}.{f.name}: type {f.type_name}, TensorBoard {g.type_name}")
                checked += 1
            walk(m.nested_type, m.enum_type, full)

    walk(ours.message_type, ours.enum_type, "." + ours.package)
    return f"{checked} fields and enum values match"


def check_main(tb, args):
    logdir = os.path.join(args.work, "main")
    r = write(args, "main", os.path.join(logdir, "run"))
    expect(r.returncode == 0, f"tb_writer main failed: {r.stderr}")
    run_dir = os.path.join(logdir, "run")
    (path,) = event_file(run_dir)
    frames, tail = read_frames(path)
    expect(tail == 0, f"{tail} bytes after the last complete record")
    loaded = tb.events(path)
    expect(len(loaded) == len(frames), f"TensorBoard's loader read {len(loaded)} of the {len(frames)} records "
                                       "(it stops at the first bad CRC)")
    expect(loaded[0].file_version == "brain.Event:2", f"first record: {loaded[0]}")

    # The event accumulator.
    acc = tb.accumulator(run_dir)
    scalars = expected_main_scalars()
    expect(sorted(acc.Tags()["scalars"]) == sorted(scalars), f"scalar tags {acc.Tags()['scalars']}")
    for tag, want in scalars.items():
        expect_scalars(scalar_values(acc, tag), want, f"scalar '{tag}'")
    walls = [e.wall_time for e in acc.Scalars("timed")]
    expect(walls == [1.6e9 + s * 1.5 for s in range(500)], "the wall times given to add_scalar")

    for tag, series in expected_histograms().items():
        got = acc.Histograms(tag)
        expect([e.step for e in got] == [s for s, _, _ in series], f"histogram '{tag}' steps")
        for e, (step, values, bins) in zip(got, series):
            check_histogram(e.histogram_value, values, bins, tag in ("weights", "constant"), f"histogram '{tag}' step {step}")

    for tag, (step, c, h, w, fn) in IMAGES.items():
        (img,) = acc.Images(tag)
        expect((img.step, img.width, img.height) == (step, w, h), f"image '{tag}': step {img.step}, {img.width}x{img.height}")
        check_image(img.encoded_image_string, c, h, w, fn)

    texts = acc.Tensors("notes")
    got = [(e.step, tb.tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8")) for e in texts]
    expect(got == [(0, "**bold** and `code`"), (10, "ünïcödé ✓ — step 10")], f"text: {got}")
    expect(acc.SummaryMetadata("notes").plugin_data.plugin_name == "text", "text metadata")

    # The plugin multiplexer and data provider, as the TensorBoard server reads them.
    mux, dp = tb.provider(logdir)
    ctx = tb.context.RequestContext()
    got = dp.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=10**6)["run"]
    for tag, want in scalars.items():
        expect_scalars([(d.step, d.value) for d in got[tag]], want, f"data provider scalar '{tag}'")
    hist = dp.read_tensors(ctx, experiment_id="", plugin_name="histograms", downsample=10**6)["run"]
    for tag, series in expected_histograms().items():
        for datum, (step, values, bins) in zip(hist[tag], series):
            buckets = datum.numpy
            expect(float(buckets[:, 2].sum()) == len(values), f"data provider histogram '{tag}': {buckets[:, 2].sum()} values")
            if values:
                expect(buckets[0, 0] == f32(min(values)) and buckets[-1, 1] == f32(max(values)),
                       f"data provider histogram '{tag}': edges {buckets[0, 0]}..{buckets[-1, 1]}")
    blobs = dp.read_blob_sequences(ctx, experiment_id="", plugin_name="images", downsample=100)["run"]
    for tag, (step, c, h, w, fn) in IMAGES.items():
        (seq,) = blobs[tag]
        width, height, png = (dp.read_blob(ctx, blob_key=b.blob_key) for b in seq.values)
        expect((int(width), int(height)) == (w, h), f"data provider image '{tag}': {width}x{height}")
        check_image(png, c, h, w, fn)
    texts = dp.read_tensors(ctx, experiment_id="", plugin_name="text", downsample=100)["run"]["notes"]
    expect([d.step for d in texts] == [0, 10], "data provider text steps")
    check_hparams(tb, logdir, mux, dp, ctx)
    return f"{len(frames)} records: 5 x 500 scalars, 7 histograms, 3 images, 2 texts, hparams"


def check_hparams(tb, logdir, mux, dp, ctx):
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups
    bctx = backend_context.Context(base_plugin.TBContext(logdir=logdir, multiplexer=mux, data_provider=dp))
    exp = get_experiment.Handler(ctx, bctx, "", api_pb2.GetExperimentRequest()).run()
    infos = {i.name: i.type for i in exp.hparam_infos}
    expect(infos == {"lr": api_pb2.DATA_TYPE_FLOAT64, "optimizer": api_pb2.DATA_TYPE_STRING,
                     "batch_norm": api_pb2.DATA_TYPE_BOOL, "layers": api_pb2.DATA_TYPE_FLOAT64},
           f"hparams experiment: {exp}")
    expect(sorted(m.name.tag for m in exp.metric_infos) == ["acc/final", "loss"], f"metrics: {exp.metric_infos}")
    req = api_pb2.ListSessionGroupsRequest(start_index=0, slice_size=10, allowed_statuses=[
        api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS, api_pb2.STATUS_FAILURE, api_pb2.STATUS_RUNNING])
    res = list_session_groups.Handler(ctx, bctx, "", req).run()
    expect(len(res.session_groups) == 1, f"{len(res.session_groups)} session groups")
    group = res.session_groups[0]
    hp = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in group.hparams.items()}
    expect(hp == {"lr": 0.01, "optimizer": "adam", "batch_norm": True, "layers": 4.0}, f"session hparams {hp}")
    (session,) = group.sessions
    expect(session.name == "run" and session.status == api_pb2.STATUS_SUCCESS, f"session {session.name} {session.status}")
    metrics = {m.name.tag: (m.value, m.training_step) for m in session.metric_values}
    expect(metrics == {"loss": (f32(1 / 500), 499), "acc/final": (f32(0.93), 499)}, f"session metrics {metrics}")


def check_rust_server(tb, args):
    """The data server that `tensorboard --logdir` starts by default (tensorboard-data-server), on
    every log directory the other checks wrote. It does not act on SessionLog START: a resumed
    run reads right there because it drops a series' points at and after a step logged again."""
    try:
        import tensorboard_data_server
        import grpc
        from tensorboard.data import grpc_provider
        from tensorboard.data.proto import data_provider_pb2_grpc
    except ImportError as e:
        return f"not checked: {e}"
    server = tensorboard_data_server.server_binary()
    if not server:
        return "not checked: no data server binary for this platform"
    port_file = os.path.join(args.work, "rust_port")
    proc = subprocess.Popen([server, "--logdir", args.work, "--host", "127.0.0.1", "--port", "0",
                             "--port-file", port_file, "--reload", "once", "--checksum",
                             "--samples-per-plugin", "scalars=all,images=all", "--die-after-stdin"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().endswith("\n")):
            if proc.poll() is not None:
                raise Failure(f"data server exited: {proc.stderr.read().decode()[-500:]}")
            expect(time.time() < deadline, "data server did not start")
            time.sleep(0.05)
        addr = f"127.0.0.1:{int(open(port_file).read())}"
        channel = grpc.insecure_channel(addr)
        dp = grpc_provider.GrpcDataProvider(addr, data_provider_pb2_grpc.TensorBoardDataProviderStub(channel))
        ctx = tb.context.RequestContext()
        scalars = {("main/run", t): v for t, v in expected_main_scalars().items()}
        scalars[("resume/run", "loss")] = resumed(1000, 1)
        scalars[("resume/run", "acc")] = resumed(1000, 0.5)
        while True:  # the first load may still be running
            got = dp.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=10**6)
            if all(len(got.get(r, {}).get(t, [])) == len(v) for (r, t), v in scalars.items()):
                break
            expect(time.time() < deadline, f"data server has {[(r, t, len(v)) for r in got for t, v in got[r].items()]}")
            time.sleep(0.1)
        for (r, tag), want in scalars.items():
            expect_scalars([(d.step, d.value) for d in got[r][tag]], want, f"data server scalar '{r}' '{tag}'")
        blobs = dp.read_blob_sequences(ctx, experiment_id="", plugin_name="images", downsample=100)["main/run"]
        for tag, (step, c, h, w, fn) in IMAGES.items():
            (seq,) = blobs[tag]
            width, height, png = (dp.read_blob(ctx, blob_key=b.blob_key) for b in seq.values)
            expect((int(width), int(height)) == (w, h), f"data server image '{tag}': {width}x{height}")
            check_image(png, c, h, w, fn)
        channel.close()
    finally:
        proc.kill()
        proc.wait()
    return "main run's scalars and images, resumed run's scalars (with --checksum)"


def check_truncation(tb, args):
    """A file cut at any byte reads back as exactly the records complete before the cut."""
    run_dir = os.path.join(args.work, "small", "run")
    r = write(args, "small", run_dir)
    expect(r.returncode == 0, f"tb_writer small failed: {r.stderr}")
    (path,) = event_file(run_dir)
    data = open(path, "rb").read()
    frames, _ = read_frames(path)
    full = tb.events(path)
    expect(len(full) == len(frames), f"loader read {len(full)} of {len(frames)} records")
    ends = [at + 12 + len(p) + 4 for at, p in frames]
    cuts = {0, len(data)}
    for at, p in frames:
        cuts.update({at + 1, at + 5, at + 8, at + 11, at + 12, at + 12 + len(p) // 2, at + 12 + len(p) + 3})
    rng = random.Random(1234)
    cuts.update(rng.randrange(len(data)) for _ in range(60))
    cut_dir = os.path.join(args.work, "small_cut", "run")
    os.makedirs(cut_dir)
    cut_path = os.path.join(cut_dir, os.path.basename(path))
    for i, cut in enumerate(sorted(cuts)):
        with open(cut_path, "wb") as f:
            f.write(data[:cut])
        complete = bisect.bisect_right(ends, cut)
        got = tb.events(cut_path)
        expect(got == full[:complete], f"cut at byte {cut}: read {len(got)} events, {complete} were complete")
        if i % 4 == 0:  # the accumulator too, on a quarter of the cuts
            acc = tb.accumulator(cut_dir)
            tags = acc.Tags()
            n = sum(len(acc.Scalars(t)) for t in tags["scalars"]) + sum(len(acc.Histograms(t)) for t in tags["histograms"]) \
                + sum(len(acc.Images(t)) for t in tags["images"]) + sum(len(acc.Tensors(t)) for t in tags["tensors"])
            expect(n == max(complete - 1, 0), f"cut at byte {cut}: the accumulator holds {n} values, {complete - 1} were complete")
    return f"{len(cuts)} cuts of a {len(data)}-byte file of {len(frames)} records"


def check_kill(tb, args):
    """A writer killed with SIGKILL mid-loop: every complete record is read, in order."""
    summary = []
    for k, delay in enumerate((0.1, 0.25, 0.4)):
        run_dir = os.path.join(args.work, "killed", f"run{k}")
        proc = subprocess.Popen([args.writer, "loop", run_dir], stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        expect(line.startswith("started "), f"tb_writer loop printed {line!r}")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        expect(proc.returncode == -signal.SIGKILL, f"tb_writer loop ended with {proc.returncode}")
        (path,) = event_file(run_dir)
        frames, tail = read_frames(path)
        acc = tb.accumulator(run_dir)
        loop = scalar_values(acc, "loop")
        expect_scalars(loop, [(s, s * 0.5) for s in range(len(loop))], "killed writer's scalars")
        texts = [e.step for e in acc.Tensors("loop_text")] if "loop_text" in acc.Tags()["tensors"] else []
        expect(texts == list(range(0, len(loop), 10))[:len(texts)], "killed writer's text steps")
        expect(len(loop) + len(texts) == len(frames) - 1,
               f"the accumulator read {len(loop) + len(texts)} values of the {len(frames) - 1} complete records")
        expect(len(loop) > 10, f"only {len(loop)} records before the kill")
        summary.append(f"{len(frames)} records" + (f" + {tail} bytes of a cut one" if tail else ""))
    return "; ".join(summary)


def resumed(offset, factor):
    """A series of check_resume's run: crashed at 100, resumed at 60 up to 150."""
    return [(s, f32(s * factor if s < 60 else offset + s * factor)) for s in range(150)]


def check_resume(tb, args):
    """A crashed run (steps 0..99), resumed with purge_step 60 up to step 149."""
    logdir = os.path.join(args.work, "resume")
    run_dir = os.path.join(logdir, "run")
    r = write(args, "crashed", run_dir, "100")
    expect(r.returncode == 3, f"tb_writer crashed: {r.returncode} {r.stderr}")
    r = write(args, "resume", run_dir, "60", "150")
    expect(r.returncode == 0, f"tb_writer resume failed: {r.stderr}")
    files = event_file(run_dir)
    expect(len(files) == 2, f"event files {files}")

    acc = tb.accumulator(run_dir)
    expect_scalars(scalar_values(acc, "loss"), resumed(1000, 1), "resumed 'loss'")
    expect_scalars(scalar_values(acc, "acc"), resumed(1000, 0.5), "resumed 'acc'")
    expect_scalars(scalar_values(acc, "only_before"), [(s, f32(-s)) for s in range(60)], "'only_before' (purged from 60)")
    mux, dp = tb.provider(logdir)
    got = dp.read_scalars(tb.context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=10**6)["run"]
    expect_scalars([(d.step, d.value) for d in got["loss"]], resumed(1000, 1), "data provider resumed 'loss'")
    expect_scalars([(d.step, d.value) for d in got["only_before"]], [(s, f32(-s)) for s in range(60)],
                   "data provider 'only_before'")
    return f"files {[os.path.basename(f) for f in files]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--descriptor-set", required=True)
    args = parser.parse_args()
    try:
        tb = TB()
    except Exception as e:  # a venv whose tensorboard does not import is no TensorBoard
        print(f"SKIPPED: TensorBoard is not installed (tools/tensorboard_venv.sh could not install it: "
              f"{sys.executable} cannot import it: {e!r})")
        return 77
    # Cut records are reported as warnings; they are what these checks make on purpose.
    logging.getLogger("tensorboard").setLevel(logging.ERROR)
    import tensorboard
    print(f"TensorBoard {tensorboard.__version__} ({sys.executable})")
    passed = failed = 0
    # check_rust_server reads the log directories of the checks before it.
    for check in (check_descriptors, check_main, check_truncation, check_kill, check_resume, check_rust_server):
        t0 = time.time()
        try:
            note = check(tb, args)
            passed += 1
            print(f"PASS {check.__name__} ({time.time() - t0:.2f} s): {note}")
        except Failure as e:
            failed += 1
            print(f"FAIL {check.__name__}: {e}")
        except Exception:  # TensorBoard refusing what it reads fails the check, not the run
            failed += 1
            print(f"FAIL {check.__name__}: {traceback.format_exc()}")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""ember-train as a person watches it: progress lines in a log file, steps.csv, run.json,
TensorBoard event files (read back with TensorBoard's own reader), report.html (rendered by
headless Chromium) and `ember-train report`, resume by folder, and argument errors that read
like sentences. Standard library only; TensorBoard and Chromium checks run where they are
installed and say so where not."""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

p = argparse.ArgumentParser()
p.add_argument("--train", required=True)
p.add_argument("--work", required=True)
p.add_argument("--tb-python", required=True)
p.add_argument("--check-report", required=True)
a = p.parse_args()

COMMON = ["--model", "mlp", "--dataset", "synthetic", "--epochs", "2", "--train-subset", "256",
          "--test-subset", "64", "--batch-size", "32", "--threads", "2", "--log-every", "2",
          "--progress-seconds", "0", "--seed", "3"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def train(*args, expect_ok=True):
    r = subprocess.run([a.train, *args], capture_output=True, text=True, timeout=240)
    if expect_ok and r.returncode != 0:
        sys.exit(f"ember-train {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
A, B, C = (os.path.join(a.work, n) for n in "ABC")

# ---- a whole run, its output a file (not a terminal) ----
r = train(*COMMON, "--histograms", "--out", A)
check("\r" not in r.stderr and "\033" not in r.stderr, "progress on a non-terminal has no carriage returns")
check("epoch 1/2  " in r.stderr and "ETA" in r.stderr, f"progress lines in a log file:\n{r.stderr}")
for f in ["metrics.csv", "steps.csv", "run.json", "evaluation.json", "report.html", "model.safetensors"]:
    check(os.path.exists(os.path.join(A, f)), f"the run wrote {f}")
check(any(n.startswith("events.out.tfevents") for n in os.listdir(os.path.join(A, "tb"))), "tb/ has an event file")
steps = rows(os.path.join(A, "steps.csv"))
check([int(s["step"]) for s in steps] == list(range(2, 17, 2)), f"steps.csv every 2 steps: {[s['step'] for s in steps]}")
check(all(float(s["grad_norm"]) > 0 and float(s["lr"]) > 0 for s in steps), "steps.csv has grad norms and lrs")
run = json.load(open(os.path.join(A, "run.json")))
check([s["ended"] for s in run["sessions"]] == ["finished"], f"run.json sessions: {run['sessions']}")
check(run["options"]["batch_size"] == 32 and run["machine"]["threads"] == 2, "run.json options and machine")
ev = json.load(open(os.path.join(A, "evaluation.json")))
check(sum(map(sum, ev["confusion"])) == 64 and len(ev["worst"]) == 16, "evaluation.json: 64 test images, 16 worst")
p_true = [w["p_truth"] for w in ev["worst"]]
check(all(p is not None for p in p_true) and p_true == sorted(p_true), "worst examples come worst (lowest p(true)) first")
check(all(os.path.exists(os.path.join(A, w["png"])) for w in ev["worst"]), "evaluation.json names images that exist")

# ---- on a terminal (a pty from util-linux's script): one line redrawn in place ----
if shutil.which("script"):
    cmd = " ".join([a.train, *COMMON, "--out", os.path.join(a.work, "tty")])
    # Bytes: text mode would turn the carriage returns into newlines.
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=240)
    out = r.stdout.decode(errors="replace")
    check(r.returncode == 0 and "\r" in out and "\033[K" in out and "[####" in out,
          f"a live progress line on a terminal:\n{out[-2000:]!r}")
else:
    print("note: no `script` (util-linux); the terminal progress line was not checked")

# ---- resume by folder: stopped mid-epoch, then only --resume ----
train(*COMMON, "--out", B, "--stop-after-steps", "5")
r = train("--resume", B, "--threads", "2", "--progress-seconds", "0")
check(open(os.path.join(A, "model.safetensors"), "rb").read() == open(os.path.join(B, "model.safetensors"), "rb").read(),
      "--resume OUT alone ends with the uninterrupted run's weights")
strip = lambda rs: [{k: v for k, v in x.items() if k != "images_per_s"} for x in rs]
check(strip(rows(os.path.join(B, "steps.csv"))) == strip(steps), "the resumed steps.csv equals the uninterrupted one")
untimed = lambda rs: [{k: v for k, v in x.items() if k not in ("seconds", "images_per_s")} for x in rs]
check(untimed(rows(os.path.join(B, "metrics.csv"))) == untimed(rows(os.path.join(A, "metrics.csv"))),
      "the resumed metrics.csv equals the uninterrupted one")
run_b = json.load(open(os.path.join(B, "run.json")))
check([s["ended"] for s in run_b["sessions"]] == ["stopped", "finished"], f"two sessions: {run_b['sessions']}")

# An explicit option that contradicts the checkpoint is an error naming it; --epochs may change.
r = train("--resume", B, "--batch-size", "64", expect_ok=False)
check(r.returncode != 0 and "--batch-size 32 (this run: 64)" in r.stderr, f"contradicting option refused:\n{r.stderr}")
# A finished run resumed as it is: nothing to do, nothing touched.
before = {f: open(os.path.join(B, f), "rb").read() for f in ["model.safetensors", "run.json", "report.html", "steps.csv"]}
r = train("--resume", B)
check("nothing to do" in r.stdout and all(open(os.path.join(B, f), "rb").read() == v for f, v in before.items()),
      f"resuming a finished run changes nothing:\n{r.stdout}")
r = train("--resume", B, "--epochs", "3", "--quiet")
check(len(rows(os.path.join(B, "metrics.csv"))) == 3 and "--epochs 2, now 3" in r.stderr,
      f"--epochs extends a run:\n{r.stderr}")
r = train("--resume", B, "--epochs", "1", expect_ok=False)
check(r.returncode == 1 and "--epochs 1 is fewer than the run" in r.stderr, f"--epochs below what is done:\n{r.stderr}")

# A run moved to another folder on resume takes its steps, sessions and curves along.
M = os.path.join(a.work, "moved")
train(*COMMON, "--out", os.path.join(a.work, "B2"), "--stop-after-steps", "5")
train("--resume", os.path.join(a.work, "B2"), "--out", M, "--quiet")
check(strip(rows(os.path.join(M, "steps.csv"))) == strip(steps), "--resume DIR --out NEW continues steps.csv in NEW")
check(len(json.load(open(os.path.join(M, "run.json")))["sessions"]) == 2, "--out NEW keeps the earlier session")

# A run that fails says so in run.json and still gets its report.
F = os.path.join(a.work, "failed")
r = train(*COMMON, "--out", F, "--lr", "1e30", "--quiet", expect_ok=False)
ended = json.load(open(os.path.join(F, "run.json")))["sessions"][-1]["ended"]
check(r.returncode == 1 and str(ended).startswith("failed: ") and os.path.exists(os.path.join(F, "report.html")),
      f"a failed run: {ended!r}\n{r.stderr}")

# ---- a crash after logging past the last checkpoint: no duplicate steps on resume ----
train(*COMMON, "--out", C, "--checkpoint-every", "4", "--stop-after-steps", "10", "--keep", "5")
shutil.rmtree(os.path.join(C, "checkpoints", "step-00000010"))
with open(os.path.join(C, "checkpoints", "latest"), "w") as f:
    f.write("step-00000008\n")
train("--resume", C, "--progress-seconds", "0")
check(strip(rows(os.path.join(C, "steps.csv"))) == strip(steps), "steps.csv after a crash and resume equals the full run's")

# ---- ember-train report ----
r = train("report", A)
check(r.returncode == 0 and "report.html" in r.stdout, "ember-train report OUT")
r = train("report", os.path.join(a.work, "nope"), expect_ok=False)
check(r.returncode == 1 and "is not a folder" in r.stderr, f"report of a missing folder:\n{r.stderr}")
T = os.path.join(a.work, "truncated")
shutil.copytree(A, T)
os.remove(os.path.join(T, "report.html"))
text = open(os.path.join(T, "metrics.csv")).read()
open(os.path.join(T, "metrics.csv"), "w").write(text[: text.index("\n", text.index("\n") + 1) + 8])
r = train("report", T, expect_ok=False)
check(r.returncode == 1 and "metrics.csv: line 3" in r.stderr and not os.path.exists(os.path.join(T, "report.html")),
      f"a truncated metrics.csv is named and no report is written:\n{r.stderr}")

# ---- argument errors are sentences; an unwritable TensorBoard folder stops the run at once ----
for args, want in [(["--batch-size", "0"], "--batch-size: must be 1 or more, got 0"),
                   (["--seed", "-1"], "--seed: expected a whole number of 0 or more, got \"-1\""),
                   (["--lr", "-1"], "--lr: must be a positive number, got -1"),
                   (["--epochs", "two"], "--epochs: expected a whole number, got \"two\""),
                   (["--optimizer", "sgdd"], "--optimizer: must be one of sgd, adam, adamw; got \"sgdd\"")]:
    r = train(*args, expect_ok=False)
    check(r.returncode != 0 and want in r.stderr and "1797" not in r.stderr, f"{args}: {r.stderr!r}")
r = train(*COMMON, "--out", os.path.join(a.work, "D"), "--tensorboard", "/proc/ember-tb", expect_ok=False)
check(r.returncode == 1 and "TensorBoard folder /proc/ember-tb" in r.stderr and "epoch   1" not in r.stdout and
      not os.path.exists(os.path.join(a.work, "D", "metrics.csv")),
      f"unwritable --tensorboard is an error at start, before any file is written:\n{r.stdout}\n{r.stderr}")

# ---- the report in a real browser ----
charts = "loss-epoch,accuracy-epoch,loss-step,lr-step,grad-norm-step,throughput,confusion,per-class"
r = subprocess.run([sys.executable, a.check_report, os.path.join(A, "report.html"), "--expect-charts", charts,
                    "--screenshot", os.path.join(a.work, "report.png")], capture_output=True, text=True, timeout=120)
if r.returncode == 77:
    print("note: Chromium is not installed; the report was not rendered:", r.stdout.strip())
else:
    check(r.returncode == 0, f"report.html renders in Chromium:\n{r.stdout}\n{r.stderr}")

# ---- TensorBoard's reader on the run's event files ----
if not os.path.exists(a.tb_python):
    print(f"note: {a.tb_python} is missing (tools/tensorboard_venv.sh); the event files were not read back")
else:
    reader = r'''
import json, sys
from tensorboard.backend.event_processing import event_accumulator as ea
out = {}
for d in sys.argv[1:]:
    acc = ea.EventAccumulator(d, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    out[d] = {"scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
              "histograms": tags["histograms"], "images": tags["images"]}
print(json.dumps(out))
'''
    r = subprocess.run([a.tb_python, "-c", reader] + [os.path.join(d, "tb") for d in (A, C, M)],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"TensorBoard reads the event files:\n{r.stderr}")
    if r.returncode == 0:
        got = json.loads(r.stdout)
        for d in (A, C, M):
            sc = got[os.path.join(d, "tb")]["scalars"]
            loss = sc.get("train/loss", [])
            check([s for s, _ in loss] == list(range(2, 17, 2)), f"{d}: train/loss steps once each: {loss}")
            check(all(abs(v - float(s["loss"])) <= 1e-5 * abs(float(s["loss"])) for (_, v), s in zip(loss, steps)),
                  f"{d}: train/loss values are steps.csv's")
            acc_rows = rows(os.path.join(A, "metrics.csv"))
            test_acc = sc.get("epoch/test_acc", [])
            # metrics.csv holds 6 decimals, the event file the f32 of the full value.
            check([s for s, _ in test_acc] == [8, 16] and
                  all(abs(v - float(m["test_acc"])) < 1e-6 for (_, v), m in zip(test_acc, acc_rows)),
                  f"{d}: epoch/test_acc at the epochs' last steps, metrics.csv's values: {test_acc}")
        hist = got[os.path.join(A, "tb")]["histograms"]
        check(any(h.startswith("weights/") for h in hist) and any(h.startswith("grads/") for h in hist),
              f"--histograms writes weight and gradient histograms: {hist}")
        check(len(got[os.path.join(A, "tb")]["images"]) > 0, "worst examples as TensorBoard images")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all checks passed")

#!/usr/bin/env python3
"""Renders an ember HTML report in headless Chromium and checks that it shows what it should.

    check_report.py REPORT.html [--expect-charts id1,id2,...] [--expect-sections s1,...]
                    [--screenshot OUT.png] [--chromium PATH]

The report itself is never changed: a copy in a temporary folder gets a small measuring
script (allowed by adding its hash to the page's Content-Security-Policy) that writes the
boxes of every [data-chart] and [data-section] element, the state of every image and every
resource the page loaded into the DOM, which --dump-dom prints. A screenshot as tall as the
page is then decoded (zlib only) and each box's pixels are checked:

  * every expected chart and section exists and has a box of a sensible size;
  * a box is not blank: at least 1% of its pixels differ from its most common colour, in at
    least two colours;
  * a chart drew coloured data (the axes are grey), and a line chart of several series shows
    at least two hues inside its plotting area (so the legend alone does not count);
  * every image in the worst-examples grid decoded and shows more than one colour;
  * the page printed nothing to the console (errors, warnings, blocked loads, "Uncaught") and
    loaded nothing but itself and data: URIs; the HTML has no script and no http(s) address.

Exit status: 0 when every check passes, 1 with one "FAIL: ..." line per problem, naming the
chart, 2 for bad arguments, 77 with "SKIPPED: ..." when chromium-headless-shell is missing.
Standard library only, so it runs wherever python3 does.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

# Chromium draws nothing past this height in one screenshot; a taller page is checked as far
# as it reaches (and says so).
MAX_HEIGHT = 16000
WIDTH = 1280

MEASURE_JS = r"""
window.addEventListener('load', function () {
  var out = {boxes: [], images: [], resources: [], width: 0, height: 0};
  function box(e) {
    var r = e.getBoundingClientRect();
    return {x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
  }
  document.querySelectorAll('[data-chart],[data-section]').forEach(function (e) {
    var b = box(e);
    b.chart = e.getAttribute('data-chart');
    b.section = e.getAttribute('data-section');
    b.kind = e.getAttribute('data-kind');
    b.series = e.getAttribute('data-series');
    var plot = e.querySelector('[data-plot]');
    if (plot) b.plot = box(plot);
    out.boxes.push(b);
  });
  document.querySelectorAll('img').forEach(function (im, i) {
    var b = box(im);
    b.index = i;
    b.decoded = im.complete && im.naturalWidth > 0;
    b.worst = im.closest('[data-section="worst"]') !== null;
    b.src = im.getAttribute('src') ? im.getAttribute('src').slice(0, 40) : '';
    out.images.push(b);
  });
  performance.getEntriesByType('resource').forEach(function (e) { out.resources.push(e.name.slice(0, 200)); });
  var d = document.documentElement;
  out.width = Math.ceil(Math.max(d.scrollWidth, document.body.scrollWidth));
  out.height = Math.ceil(Math.max(d.scrollHeight, document.body.scrollHeight));
  var pre = document.createElement('pre');
  pre.id = 'ember-measure';
  pre.hidden = true;
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""


class Failures:
    def __init__(self):
        self.lines = []

    def add(self, message):
        self.lines.append(message)
        print(f"FAIL: {message}", flush=True)


# ---------------------------------------------------------------- PNG decoding


def decode_png(data):
    """(width, height, channels, rows): rows is a list of bytes objects, 8-bit samples."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    bpp = channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                if i >= bpp:
                    a, c = line[i - bpp], prev[i - bpp]
                else:
                    a = c = 0
                b = prev[i]
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def crop_pixels(image, box):
    """The RGB tuples inside box (clamped to the image)."""
    width, height, channels, rows = image
    x0, y0 = max(0, int(box["x"]) + 1), max(0, int(box["y"]) + 1)
    x1, y1 = min(width, int(box["x"] + box["w"]) - 1), min(height, int(box["y"] + box["h"]) - 1)
    pixels = []
    for y in range(y0, y1):
        row = rows[y]
        if channels >= 3:
            for x in range(x0, x1):
                i = x * channels
                pixels.append((row[i], row[i + 1], row[i + 2]))
        else:
            for x in range(x0, x1):
                v = row[x * channels]
                pixels.append((v, v, v))
    return pixels


def analyse(pixels):
    """Share of pixels unlike the most common colour, those colours, and the hues drawn."""
    counts = {}
    for p in pixels:
        counts[p] = counts.get(p, 0) + 1
    if not counts:
        return 0.0, 0, 0
    background = max(counts, key=counts.get)
    different, colours, hues = 0, {}, {}
    for p, n in counts.items():
        if max(abs(p[0] - background[0]), abs(p[1] - background[1]), abs(p[2] - background[2])) <= 12:
            continue
        different += n
        q = (p[0] >> 4, p[1] >> 4, p[2] >> 4)
        colours[q] = colours.get(q, 0) + n
        hi, lo = max(p), min(p)
        if hi - lo >= 60:  # saturated enough to be a data colour, not a grey axis
            r, g, b = p
            if hi == r:
                hue = ((g - b) / (hi - lo)) % 6
            elif hi == g:
                hue = (b - r) / (hi - lo) + 2
            else:
                hue = (r - g) / (hi - lo) + 4
            sector = int(hue * 2) % 12  # 30 degree sectors
            hues[sector] = hues.get(sector, 0) + n
    # Anti-aliasing makes a handful of stray colours; a colour or hue counts from 15 pixels.
    return (different / len(pixels), sum(1 for n in colours.values() if n >= 15),
            sum(1 for n in hues.values() if n >= 15))


# ---------------------------------------------------------------- Chromium


def find_chromium(explicit):
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium-headless-shell", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/lib/chromium/headless_shell", "/usr/lib/chromium-headless-shell/headless_shell"):
        if os.access(path, os.X_OK):
            return path
    return None


def run_chromium(chromium, workdir, url, height, action):
    command = [chromium, "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--force-device-scale-factor=1", f"--user-data-dir={os.path.join(workdir, 'profile')}",
               f"--window-size={WIDTH},{height}", "--virtual-time-budget=3000",
               "--enable-logging=stderr", "--v=0"] + action + [url]
    done = subprocess.run(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise RuntimeError(f"{os.path.basename(chromium)} exited with {done.returncode}: {stderr[-2000:]}")
    return stdout, stderr


def console_problems(stderr, seen):
    """Adds to `seen` what the page (not the browser around it) reported, without the
    time stamp, so that the same message from several runs counts once."""
    for line in stderr.splitlines():
        if "INFO:CONSOLE" in line or ":CONSOLE(" in line or "Uncaught" in line or "net::ERR_" in line:
            seen.setdefault(re.sub(r"^\[[^\]]*\]\s*", "", line.strip()), None)


def measure(chromium, workdir, url, height, console):
    stdout, stderr = run_chromium(chromium, workdir, url, height, ["--dump-dom"])
    console_problems(stderr, console)
    found = re.search(r'<pre id="ember-measure"[^>]*>(.*?)</pre>', stdout, re.S)
    if not found:
        raise RuntimeError("the measuring script left no result: did the page finish loading?")
    return json.loads(html.unescape(found.group(1)))


def instrument(page):
    """The page with the measuring script, which the page's CSP is told to allow."""
    digest = base64.b64encode(hashlib.sha256(MEASURE_JS.encode("utf-8")).digest()).decode("ascii")
    source = f"'sha256-{digest}'"

    def allow(match):
        policy = match.group(2)
        if re.search(r"script-src", policy):
            policy = re.sub(r"script-src", f"script-src {source}", policy, count=1)
        else:
            policy = policy.rstrip("; ") + f"; script-src {source}"
        return match.group(1) + policy + match.group(3)

    page = re.sub(r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")', allow, page,
                  flags=re.I)
    tag = f"<script>{MEASURE_JS}</script>"
    end = page.lower().rfind("</body>")
    return page[:end] + tag + page[end:] if end >= 0 else page + tag


# ---------------------------------------------------------------- checks


def static_checks(page, failures):
    for needle in ("http://", "https://"):
        where = page.find(needle)
        if where >= 0:
            failures.add(f"the page names a network address ({needle}): ...{page[max(0, where - 60):where + 60]!r}...")
    found = re.search(r"<script\b[^>]*>", page, re.I)
    if found:
        failures.add(f"the page has a script ({found.group(0)[:80]}); it must draw without JavaScript")


def label(box):
    return f"chart '{box['chart']}'" if box.get("chart") else f"section '{box['section']}'"


def check_box(image, box, failures, report):
    name = label(box)
    if box["w"] < 40 or box["h"] < 40:
        failures.add(f"{name} has a box of {box['w']:.0f}x{box['h']:.0f} px: too small to show anything")
        return
    if box["y"] + box["h"] > image[1]:
        failures.add(f"{name} ends at y={box['y'] + box['h']:.0f}, below the {image[1]} px the screenshot covers")
        return
    share, colours, hues = analyse(crop_pixels(image, box))
    report.append(f"  {name}: {box['w']:.0f}x{box['h']:.0f} at ({box['x']:.0f},{box['y']:.0f}), "
                  f"{share * 100:.1f}% drawn, {colours} colours, {hues} hues")
    if share < 0.01 or colours < 2:
        failures.add(f"{name} is blank in the screenshot: {share * 100:.2f}% of its pixels differ from its "
                     f"background, in {colours} colours (want >= 1% in >= 2)")
        return
    if box.get("chart"):
        if box.get("plot"):
            _, _, hues = analyse(crop_pixels(image, box["plot"]))
        series = int(box.get("series") or 0)
        if series == 0:
            failures.add(f"{name} has no series with data (it says 'no data')")
        elif hues == 0:
            failures.add(f"{name} drew no coloured data in its plotting area: only grey axes and text")
        elif box.get("kind") == "line" and series >= 2 and hues < 2:
            failures.add(f"{name} has {series} series but shows only one hue: are they drawn in one colour?")


def check_images(image, data, failures, report):
    worst = [im for im in data["images"] if im["worst"]]
    report.append(f"  worst examples: {len(worst)} images")
    for im in worst:
        where = f"worst-examples image {im['index']} ({im['src']}...)"
        if not im["decoded"]:
            failures.add(f"{where} did not decode: the browser shows a broken image")
            continue
        if im["w"] < 8 or im["h"] < 8:
            failures.add(f"{where} is drawn {im['w']:.0f}x{im['h']:.0f} px: too small")
            continue
        if im["y"] + im["h"] > image[1]:
            continue  # below the screenshot, reported with its section
        share, colours, _ = analyse(crop_pixels(image, dict(im, x=im["x"] - 1, y=im["y"] - 1, w=im["w"] + 2,
                                                            h=im["h"] + 2)))
        if share < 0.01 or colours < 1:
            failures.add(f"{where} is one flat colour in the screenshot")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report")
    parser.add_argument("--expect-charts", default="", help="comma-separated data-chart ids that must be there")
    parser.add_argument("--expect-sections", default="", help="comma-separated data-section names that must be there")
    parser.add_argument("--screenshot", help="keep the full-page screenshot here")
    parser.add_argument("--chromium", help="the headless Chromium to use (default: chromium-headless-shell)")
    args = parser.parse_args()

    chromium = find_chromium(args.chromium)
    if not chromium:
        if args.chromium:
            print(f"SKIPPED: {args.chromium} is not an executable")
        else:
            print("SKIPPED: chromium-headless-shell is not installed (apt-get install chromium-headless-shell)")
        return 77
    try:
        with open(args.report, encoding="utf-8") as f:
            page = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"FAIL: cannot read {args.report}: {e}")
        return 1

    failures = Failures()
    static_checks(page, failures)
    with tempfile.TemporaryDirectory(prefix="ember-report-check-") as workdir:
        path = os.path.join(workdir, "report.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(instrument(page))
        url = "file://" + path
        try:
            # The first pass finds the page's height, the second measures at that window size
            # (so nothing that depends on the viewport moves), the third takes the screenshot.
            console = {}
            first = measure(chromium, workdir, url, 900, console)
            height = max(200, min(MAX_HEIGHT, first["height"]))
            data = measure(chromium, workdir, url, height, console)
            shot = os.path.join(workdir, "screenshot.png")
            _, stderr = run_chromium(chromium, workdir, url, height, [f"--screenshot={shot}"])
            console_problems(stderr, console)
            for line in console:
                failures.add(f"the page wrote to the console: {line}")
            with open(shot, "rb") as f:
                png = f.read()
        except (RuntimeError, subprocess.TimeoutExpired, OSError, json.JSONDecodeError) as e:
            print(f"FAIL: could not render {args.report}: {e}")
            return 1
        if args.screenshot:
            shutil.copyfile(shot, args.screenshot)
    image = decode_png(png)

    report = [f"check_report: {args.report}: page {data['width']}x{data['height']} px, "
              f"screenshot {image[0]}x{image[1]}"]
    if data["height"] > MAX_HEIGHT:
        report.append(f"  the page is taller than {MAX_HEIGHT} px: only its top is checked")
    if data["width"] > WIDTH + 1:
        failures.add(f"the page is {data['width']} px wide in a {WIDTH} px window: something overflows sideways")
    for resource in data["resources"]:
        if not resource.startswith("data:"):
            failures.add(f"the page loaded {resource}: a report must be self-contained")

    charts = {b["chart"]: b for b in data["boxes"] if b.get("chart")}
    sections = {b["section"]: b for b in data["boxes"] if b.get("section")}
    expected = [c for c in args.expect_charts.split(",") if c]
    for c in expected:
        if c not in charts:
            failures.add(f"chart '{c}' is missing from the page (it has: {', '.join(charts) or 'no charts'})")
    for s in (s for s in args.expect_sections.split(",") if s):
        if s not in sections:
            failures.add(f"section '{s}' is missing from the page (it has: {', '.join(sections) or 'none'})")
    if not charts and not expected:
        failures.add("the page has no [data-chart] element at all")
    for box in data["boxes"]:
        # Sections are containers of charts already checked, or of text and tables: they
        # need only be visible.
        if box.get("chart") or box.get("section") in ("summary", "worst", "config", "machine", "timings", "notes"):
            check_box(image, box, failures, report)
    check_images(image, data, failures, report)

    print("\n".join(report))
    if failures.lines:
        print(f"check_report: {len(failures.lines)} problem(s) in {args.report}")
        return 1
    print(f"check_report: OK ({len(charts)} charts, {len(sections)} sections"
          + (f", screenshot {args.screenshot}" if args.screenshot else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())

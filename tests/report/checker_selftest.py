#!/usr/bin/env python3
"""check_report.py must fail a broken report, naming each problem.

    checker_selftest.py GOOD_REPORT.html WORK_DIR

Makes a copy of a good report with faults put in on purpose (one chart blanked, one drawn
all in grey, a corrupt image, an external image and an inline script) and runs the checker
on it, also expecting a chart that is not there. Exits 0 when the checker fails the page
and names every fault, 1 otherwise, 77 when the checker skips (no Chromium).
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def figure_span(page, chart):
    start = page.index(f'data-chart="{chart}"')
    return start, page.index("</figure>", start)


def main():
    good, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    with open(good, encoding="utf-8") as f:
        page = f.read()

    # 'lr' keeps its figure but its drawing is gone.
    start, end = figure_span(page, "lr")
    svg = page.index("<svg", start)
    page = page[:svg] + '<svg width="560" height="330"></svg>' + page[end:]
    # 'accuracy' draws its lines, but all of them grey.
    start, end = figure_span(page, "accuracy")
    grey = re.sub(r'"#(1f77b4|ff7f0e|2ca02c)"', '"#777777"', page[start:end])
    page = page[:start] + grey + page[end:]
    # The third worst example is no PNG the browser can decode.
    images = [m.start() for m in re.finditer(r'src="data:image/png;base64,', page)]
    third = images[2] + len('src="data:image/png;base64,')
    page = page[:third] + "iVBORw0KGgoAAAAAAAAAAA" + page[page.index('"', third):]
    # Something from the network and a script, both of which the page's policy blocks.
    notes = page.index('data-section="notes"')
    at = page.index("<ul>", notes)
    page = (page[:at] + '<img src="https://example.invalid/pixel.png" alt="">'
            + "<script>console.log('from the page')</script>" + page[at:])

    broken = os.path.join(work, "broken_report.html")
    with open(broken, "w", encoding="utf-8") as f:
        f.write(page)
    done = subprocess.run([sys.executable, os.path.join(HERE, "check_report.py"), broken,
                           "--expect-charts", "loss,accuracy,lr,confusion,per-class,missing-chart",
                           "--screenshot", os.path.join(work, "broken_report.png")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=110)
    out = done.stdout.decode("utf-8", "replace")
    print(out)
    if done.returncode == 77:
        return 77
    expected = {
        "the blanked chart": r"FAIL: chart 'lr' is blank",
        "the grey chart": r"FAIL: chart 'accuracy' drew no coloured data",
        "the corrupt image": r"FAIL: worst-examples image 2 .* did not decode",
        "the external address": r"FAIL: the page names a network address \(https://\)",
        "the script": r"FAIL: the page has a script",
        "the blocked loads on the console": r"FAIL: the page wrote to the console.*(Refused|Content Security Policy)",
        "the external load": r"FAIL: the page loaded https://example.invalid/pixel.png",
        "the missing chart": r"FAIL: chart 'missing-chart' is missing",
    }
    missed = [what for what, pattern in expected.items() if not re.search(pattern, out)]
    unexpected = [line for line in out.splitlines() if line.startswith("FAIL:") and not any(
        re.search(p, line) for p in expected.values())]
    ok = True
    if done.returncode != 1:
        print(f"checker_selftest: the checker exited {done.returncode} on a broken page, expected 1")
        ok = False
    for what in missed:
        print(f"checker_selftest: the checker did not report {what}")
        ok = False
    for line in unexpected:
        print(f"checker_selftest: a problem that was not put in: {line}")
        ok = False
    if ok:
        print("checker_selftest: OK: every fault was found and named")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

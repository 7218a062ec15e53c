#!/usr/bin/env python3
"""Draw benches/compare.sh's results as an SVG (Python 3 standard library only).

Usage: benches/plot.py RESULTS.tsv OUT.svg [--title TEXT]

RESULTS.tsv is what compare.sh keeps with RESULTS=file: a header line, then one line per
measurement with the columns server (shoal or redis), pipeline, datasize (bytes), round, test,
requests, rps (requests/s), p99_ms (99th percentile latency, ms) and cpu_s (the server's CPU
seconds during the run, or n/a; not plotted). Files from before cpu_s, without it, are read too.

The SVG has two panels of grouped bars, one group per test (in the order they ran) and one bar
per (pipeline depth, data size):
  - top:    median requests/s of shoal / median requests/s of Redis (above 1.0: shoal faster);
  - bottom: median p99 of shoal / median p99 of Redis (below 1.0: shoal faster).
Medians are over the rounds, as in compare.sh's table. The y axes are log2 (a ratio and its
inverse are equally far from 1.0) and the bars start at the dashed line at 1.0.
Exit status 1 (with a message) if the file has no rows for both servers.
"""

import argparse
import csv
import math
import statistics
import sys
from xml.sax.saxutils import escape

COLUMNS = ["server", "pipeline", "datasize", "round", "test", "requests", "rps", "p99_ms", "cpu_s"]
# One colour per (pipeline, data size) series, in order (colour-blind safe, Okabe-Ito).
COLOURS = ["#0072B2", "#56B4E9", "#D55E00", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#999999"]


def read_rows(path):
    """Rows of RESULTS.tsv as dicts; rps and p99_ms as floats. Raises ValueError on a bad line."""
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header not in (COLUMNS, COLUMNS[:-1]):
            raise ValueError(f"{path}: header is {header}, expected {COLUMNS}")
        for number, fields in enumerate(reader, start=2):
            if not fields:
                continue
            if len(fields) != len(header):
                raise ValueError(f"{path}:{number}: {len(fields)} columns, expected {len(header)}")
            row = dict(zip(header, fields))
            row["rps"] = float(row["rps"])
            row["p99_ms"] = float(row["p99_ms"])
            rows.append(row)
    return rows


def ratios(rows):
    """(tests in order, series in order, {(test, series): (rps ratio, p99 ratio)}).

    A series is (pipeline, datasize) as strings; a ratio is None when a side has no data or a
    median of 0.
    """
    tests, series = [], []
    values = {}
    for row in rows:
        key = (row["pipeline"], row["datasize"])
        if row["test"] not in tests:
            tests.append(row["test"])
        if key not in series:
            series.append(key)
        values.setdefault((row["test"], key, row["server"]), []).append(row)
    series.sort(key=lambda s: (int(s[0]), int(s[1])))
    out = {}
    for test in tests:
        for key in series:
            shoal = values.get((test, key, "shoal"), [])
            redis = values.get((test, key, "redis"), [])
            result = [None, None]
            for i, column in enumerate(("rps", "p99_ms")):
                if shoal and redis:
                    a = statistics.median(r[column] for r in shoal)
                    b = statistics.median(r[column] for r in redis)
                    if a > 0 and b > 0:
                        result[i] = a / b
            out[(test, key)] = tuple(result)
    return tests, series, out


def panel(svg, top, height, width, tests, series, values, index, title, ylabel):
    """Appends one panel's SVG elements to svg (a list of strings); index 0 = rps, 1 = p99."""
    left, right, bottom_margin = 70, 80, 60
    plot_w = width - left - right
    plot_h = height - 40 - bottom_margin
    y0 = top + 40  # top of the plot area
    data = [v[index] for v in values.values() if v[index] is not None]
    # A log2 axis: a ratio and its inverse are equally far from 1.0; ticks at powers of 2.
    lo = min(data + [1.0]) / 1.15
    hi = max(data + [1.0]) * 1.15
    lo_exp = math.floor(math.log2(lo))
    hi_exp = math.ceil(math.log2(hi))
    if hi_exp - lo_exp < 2:
        lo_exp, hi_exp = lo_exp - 1, hi_exp + 1

    def y(v):
        return y0 + plot_h * (hi_exp - math.log2(v)) / (hi_exp - lo_exp)

    svg.append(f'<text x="{width / 2}" y="{top + 22}" text-anchor="middle" font-size="15" '
               f'font-weight="bold">{escape(title)}</text>')
    # y axis: grid lines and tick labels at powers of 2
    for e in range(lo_exp, hi_exp + 1):
        ty = y(2.0 ** e)
        svg.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11">{2.0 ** e:g}</text>')
    svg.append(f'<text transform="translate(18,{y0 + plot_h / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12">{escape(ylabel)}</text>')
    # bars
    group_w = plot_w / max(len(tests), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for t, test in enumerate(tests):
        gx = left + t * group_w + group_w * 0.1
        for s, key in enumerate(series):
            v = values[(test, key)][index]
            if v is None:
                continue
            x = gx + s * bar_w
            # bars start at 1.0: up for a ratio above 1, down for one below
            top_y, bottom_y = min(y(v), y(1)), max(y(v), y(1))
            svg.append(f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar_w * 0.92:.1f}" '
                       f'height="{max(bottom_y - top_y, 1):.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                       f'<title>{escape(test)} -P {key[0]} -d {key[1]}: {v:.2f}</title></rect>')
            label_y = y(v) - 3 if v >= 1 else y(v) + 10
            svg.append(f'<text x="{x + bar_w * 0.46:.1f}" y="{label_y:.1f}" text-anchor="middle" '
                       f'font-size="8">{v:.2f}</text>')
        svg.append(f'<text x="{left + (t + 0.5) * group_w:.1f}" y="{y0 + plot_h + 16}" '
                   f'text-anchor="middle" font-size="11">{escape(test)}</text>')
    # the line at 1.0 and the axes
    svg.append(f'<line x1="{left}" y1="{y(1):.1f}" x2="{left + plot_w}" y2="{y(1):.1f}" '
               f'stroke="#000" stroke-width="1.5" stroke-dasharray="6,4"/>')
    svg.append(f'<text x="{left + plot_w + 4}" y="{y(1) + 4:.1f}" font-size="10">1.0 = parity</text>')
    svg.append(f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y0 + plot_h}" stroke="#000"/>')
    svg.append(f'<line x1="{left}" y1="{y0 + plot_h}" x2="{left + plot_w}" y2="{y0 + plot_h}" stroke="#000"/>')
    svg.append(f'<text x="{left + plot_w + 4}" y="{y0 + 10}" font-size="10">log scale</text>')
    svg.append(f'<text x="{left + plot_w / 2}" y="{y0 + plot_h + 34}" text-anchor="middle" '
               f'font-size="12">redis-benchmark test</text>')
    # legend, one entry per series, under the axis label
    lx = left
    for s, key in enumerate(series):
        ly = y0 + plot_h + 44
        svg.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>')
        svg.append(f'<text x="{lx + 16}" y="{ly + 10}" font-size="11">-P {key[0]} -d {key[1]}</text>')
        lx += 120


def render(rows, title):
    """The whole SVG document as a string."""
    tests, series, values = ratios(rows)
    width = max(900, 70 + 80 + len(tests) * max(len(series), 1) * 22)
    panel_h = 360
    head_h = 30
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{head_h + 2 * panel_h}" '
           f'viewBox="0 0 {width} {head_h + 2 * panel_h}" font-family="sans-serif">',
           f'<rect width="{width}" height="{head_h + 2 * panel_h}" fill="#fff"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="12">{escape(title)}</text>']
    panel(svg, head_h, panel_h, width, tests, series, values, 0,
          "Throughput: shoal / Redis (higher is better for shoal)", "requests/s ratio shoal / redis")
    panel(svg, head_h + panel_h, panel_h, width, tests, series, values, 1,
          "p99 latency: shoal / Redis (lower is better for shoal)", "p99 latency ratio shoal / redis")
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="RESULTS.tsv written by benches/compare.sh")
    parser.add_argument("output", help="the SVG file to write")
    parser.add_argument("--title", default="shoal / redis, benches/compare.sh (medians over the rounds)")
    args = parser.parse_args()
    try:
        rows = read_rows(args.results)
    except (OSError, ValueError) as e:
        sys.exit(f"plot.py: {e}")
    if not {"shoal", "redis"} <= {r["server"] for r in rows}:
        sys.exit(f"plot.py: {args.results} has no rows for both shoal and redis")
    with open(args.output, "w") as f:
        f.write(render(rows, args.title))


if __name__ == "__main__":
    main()

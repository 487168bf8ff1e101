"""report.html: one self-contained page a practitioner can open without a network.

A timeline (inline SVG: speech by speaker, turns, movement, synchrony, moments) and the list
of proposed moments, each with a still (inline JPEG) and its reasons. No scripts, no external
files, every text escaped.
"""

from __future__ import annotations

from html import escape

import numpy as np

from attunely.analysis.arrays import F32
from attunely.analysis.moments import STRENGTH_MEANING, clock
from attunely.analysis.outputs import TURN_CAVEAT, moment_id
from attunely.analysis.pipeline import AnalysisResult
from attunely.analysis.segments import ADULT, CHILD

ADULT_COLOUR = "#1f6fb2"
CHILD_COLOUR = "#c8571b"
MOMENT_COLOUR = "#2e8b57"
WIDTH = 1000
LEFT = 110
ROW = 34

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1060px;
color:#1d2430;line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.muted{color:#5a6472}.note{background:#f4f6f8;border-left:4px solid #8aa1b8;padding:.5rem .8rem;
margin:.4rem 0}
.moment{display:flex;gap:1rem;border:1px solid #d8dee6;border-radius:8px;padding:.8rem;
margin:.8rem 0}
.moment img{width:320px;max-width:40vw;height:auto;border-radius:4px;background:#eee}
.moment h3{margin:.1rem 0 .3rem;font-size:1.05rem}.moment ul{margin:.3rem 0;padding-left:1.2rem}
.tag{display:inline-block;background:#e7f3ec;color:#1f5f3d;border-radius:4px;padding:0 .4rem;
font-size:.85rem}
svg text{font-size:11px;fill:#333}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;
border-bottom:1px solid #e3e7ec}
"""


def _x(t: float, duration: float) -> float:
    return LEFT + (WIDTH - LEFT - 10) * (t / duration if duration > 0 else 0.0)


def _polyline(values: F32, rate: float, duration: float, top: float, colour: str) -> str:
    if values.size == 0:
        return ""
    # At most ~2 points per pixel: take the maximum of each bucket so bursts stay visible.
    buckets = min(values.size, 2 * (WIDTH - LEFT))
    edges = np.linspace(0, values.size, buckets + 1).astype(int)
    peaks = np.maximum.reduceat(values, edges[:-1])
    scale = float(peaks.max()) or 1.0
    xs = [_x(edges[i] / rate, duration) for i in range(buckets)]
    ys = [top + ROW - 4 - (ROW - 8) * float(p) / scale for p in peaks]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1" points="{points}"/>'


def timeline_svg(result: AnalysisResult) -> str:
    """An inline SVG timeline of the film's signals."""
    d = result.duration_s
    rows = [
        "Moments",
        "Adult speech",
        "Child speech",
        "Turns",
        "Adult movement",
        "Child movement",
        "Synchrony",
        "Adult facing",
        "Child facing",
    ]
    height = ROW * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="Timeline of the film\'s signals">'
    ]
    for i, name in enumerate(rows):
        y = i * ROW
        parts.append(f'<text x="4" y="{y + ROW / 2 + 4}">{escape(name)}</text>')
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y + ROW}" y2="{y + ROW}" stroke="#e3e7ec"/>'
        )
    for index, m in enumerate(result.moments):
        x0, x1 = _x(m.start, d), _x(m.end, d)
        parts.append(
            f'<rect x="{x0:.1f}" y="4" width="{max(2.0, x1 - x0):.1f}" height="{ROW - 8}" '
            f'fill="{MOMENT_COLOUR}" opacity="0.75"><title>{escape(moment_id(index))}: '
            f"{escape(m.principle)}</title></rect>"
            f'<text x="{x0 + 2:.1f}" y="{ROW / 2 + 4}" style="fill:#fff">'
            f"{escape(moment_id(index))}</text>"
        )
    for seg in result.speech:
        row = 1 if seg.label == ADULT else 2
        colour = ADULT_COLOUR if seg.label == ADULT else CHILD_COLOUR
        x0, x1 = _x(seg.start, d), _x(seg.end, d)
        parts.append(
            f'<rect x="{x0:.1f}" y="{row * ROW + 8}" width="{max(1.0, x1 - x0):.1f}" '
            f'height="{ROW - 16}" fill="{colour}"/>'
        )
    for conv in result.conversations:
        for turn in conv.turns:
            x = _x(turn.time, d)
            colour = CHILD_COLOUR if turn.initiator == CHILD else ADULT_COLOUR
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{3 * ROW + 6}" '
                f'y2="{4 * ROW - 6}" stroke="{colour}" stroke-width="2"/>'
            )
    motion = result.motion
    if motion is not None:
        if motion.adult is not None:
            parts.append(_polyline(motion.adult, motion.rate_hz, d, 4 * ROW, ADULT_COLOUR))
        if motion.child is not None:
            parts.append(_polyline(motion.child, motion.rate_hz, d, 5 * ROW, CHILD_COLOUR))
    sync = result.synchrony
    if sync is not None and sync.windows:
        top = 6 * ROW
        zmax = max(max(w.z for w in sync.windows), sync.threshold_z, 0.1)
        for w in sync.windows:
            if w.above_chance:
                x0, x1 = _x(w.start, d), _x(w.end, d)
                parts.append(
                    f'<rect x="{x0:.1f}" y="{top + 2}" width="{x1 - x0:.1f}" '
                    f'height="{ROW - 4}" fill="{MOMENT_COLOUR}" opacity="0.08"/>'
                )
        points = " ".join(
            f"{_x((w.start + w.end) / 2, d):.1f},"
            f"{top + ROW - 4 - (ROW - 8) * max(w.z, 0) / zmax:.1f}"
            for w in sync.windows
        )
        parts.append(f'<polyline fill="none" stroke="#444" stroke-width="1.2" points="{points}"/>')
        ty = top + ROW - 4 - (ROW - 8) * sync.threshold_z / zmax
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
        )
    parts.extend(_looks(result, d))
    # Time axis: about ten labelled ticks at round intervals.
    step = next(
        (s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if d / s <= 12), 3600
    )
    axis_y = len(rows) * ROW
    t = 0.0
    while t <= d + 1e-6:
        x = _x(t, d)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 5}" '
            'stroke="#333"/>'
            f'<text x="{x - 14:.1f}" y="{axis_y + 18}">{clock(t)[:-2]}</text>'
        )
        t += step
    parts.append("</svg>")
    return "".join(parts)


SMILE_COLOUR = "#d4a017"


def _looks_text(result: AnalysisResult) -> str:
    people = result.people
    if people is None:
        return "not looked for (no person detector)"
    parts = []
    for who, track in people.tracks.items():
        if not track.samples:
            continue
        parts.append(
            f"{who.lower()}: face seen in {100 * track.share('face'):.0f} % of samples, "
            f"turned towards the other in {100 * track.share('facing_other'):.0f} %, "
            f"smiling in {100 * track.share('smile'):.0f} %"
        )
    return "; ".join(parts) or "no one was detected"


def _looks(result: AnalysisResult, d: float) -> list[str]:
    """Rows 7-8: spans where each person's head is turned towards the other, smiles as dots."""
    people = result.people
    if people is None:
        return []
    step = 1.0 / people.rate_hz
    parts = []
    for row, who, colour in ((7, ADULT, ADULT_COLOUR), (8, CHILD, CHILD_COLOUR)):
        track = people.tracks.get(who)
        if track is None:
            continue
        top = row * ROW
        for a, b in track.spans("facing_other", step_s=step):
            x0, x1 = _x(a, d), _x(b, d)
            parts.append(
                f'<rect x="{x0:.1f}" y="{top + 10}" width="{max(1.0, x1 - x0):.1f}" '
                f'height="{ROW - 20}" fill="{colour}" opacity="0.55"/>'
            )
        for a, _b in track.spans("smile", step_s=step):
            parts.append(
                f'<circle cx="{_x(a, d):.1f}" cy="{top + ROW / 2}" r="4" fill="{SMILE_COLOUR}">'
                f"<title>smile at {escape(clock(a))}</title></circle>"
            )
    return parts


def render(result: AnalysisResult, *, film_name: str, stills: list[str | None]) -> str:
    """The full report page.

    Parameters
    ----------
    result : AnalysisResult
    film_name : str
        Shown in the title (the file's name, never its full path).
    stills : list of data URIs (or None), one per moment
    """
    e = escape
    moments_html = []
    for index, m in enumerate(result.moments):
        still = stills[index] if index < len(stills) else None
        picture = (
            f'<img src="{still}" alt="Still at {e(clock(m.still_s))}">'
            if still
            else '<div class="muted">(no picture)</div>'
        )
        reasons = "".join(f"<li>{e(r)}</li>" for r in m.reasons)
        moments_html.append(
            f'<div class="moment" id="{e(moment_id(index))}">{picture}<div>'
            f"<h3>{e(moment_id(index))} · {e(clock(m.start))}&ndash;{e(clock(m.end))}</h3>"
            f'<span class="tag">{e(m.principle)}</span> '
            f'<span class="muted">signal strength {m.strength:.2f}</span>'
            f"<ul>{reasons}</ul></div></div>"
        )
    notes = "".join(f'<div class="note">{e(n)}</div>' for n in result.notes)
    turns = sum(len(c.turns) for c in result.conversations)
    talk = {
        label: sum(s.duration for s in result.speech if s.label == label)
        for label in (ADULT, CHILD)
    }
    sync = result.synchrony
    sync_text = (
        "not measured"
        if sync is None
        else f"{sum(w.above_chance for w in sync.windows)} of {len(sync.windows)} windows "
        f"above chance (mean z {sync.mean_z:.2f} vs {sync.surrogate_mean_z:.2f} for shuffled "
        f"pairings)"
    )
    summary = (
        "<table>"
        f"<tr><th>Film length</th><td>{e(clock(result.duration_s))}</td></tr>"
        f"<tr><th>Adult speech</th><td>{talk[ADULT]:.0f} s</td></tr>"
        f"<tr><th>Child vocalisation</th><td>{talk[CHILD]:.0f} s</td></tr>"
        f"<tr><th>Turns (proposed)</th><td>{turns}</td></tr>"
        f"<tr><th>Movement synchrony</th><td>{e(sync_text)}</td></tr>"
        f"<tr><th>Faces and head turns</th><td>{e(_looks_text(result))}</td></tr>"
        "</table>"
    )
    body = "".join(moments_html) or '<p class="muted">No moments were proposed.</p>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Attunely first-pass analysis: {e(film_name)}</title><style>{CSS}</style></head>
<body>
<h1>First-pass analysis: {e(film_name)}</h1>
<p class="muted">Proposed by Attunely from the film's sound and movement. These are
suggestions for the practitioner to look at, accept or reject. They describe signals, never
the quality of a parent or child. {e(STRENGTH_MEANING.capitalize())}.</p>
{notes}
<h2>Timeline</h2>
{timeline_svg(result)}
<p class="muted">Blue: adult · orange: child · green: proposed moments. Turns are marked in the
colour of whoever started the pair. Synchrony: peak correlation (Fisher z) of the two people's
movement per window; the dashed line is the 95th percentile of shuffled pairings. Facing rows:
when each person's head was turned towards the other (from the face, or the body's pose when
the face was not seen); yellow dots: smiles.</p>
<h2>Signals</h2>
{summary}
<p class="muted">{e(TURN_CAVEAT)}</p>
<h2>Proposed moments</h2>
{body}
</body></html>
"""

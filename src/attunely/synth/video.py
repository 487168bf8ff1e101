"""The picture: a room with an adult and a child figure whose movement follows the script.

Frames are drawn straight into YUV 4:2:0 planes (what H.264 stores) so that a 10-minute
720p film costs little more than the encoder's own time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from attunely.synth.faces import TURN, draw_face_yuv
from attunely.synth.script import ADULT, CHILD, Burst

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Figure:
    """A seated person drawn as head, body and one moving arm; sizes are fractions of height."""

    who: str
    centre_x: float  # fraction of width
    head_y: float
    head_r: float
    body_y: float
    body_rx: float
    body_ry: float
    arm_len: float
    shirt: tuple[int, int, int]  # Y, U, V
    phase: float

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Region (x, y, w, h) in fractions of the frame that the figure can reach."""
        reach = max(self.body_rx * 1.6, self.arm_len * 1.3) * height / width
        x0 = self.centre_x - reach
        y0 = self.head_y - self.head_r * 1.6
        y1 = self.body_y + self.body_ry * 1.05
        return (max(0.0, x0), max(0.0, y0), min(1.0, 2 * reach), min(1.0, y1 - y0))


SKIN = (175, 112, 150)


def figures(*, adult_left: bool) -> tuple[Figure, Figure]:
    """The adult (larger, seated) and child (smaller, on the floor) on opposite sides."""
    adult_x, child_x = (0.27, 0.70) if adult_left else (0.73, 0.30)
    adult = Figure(ADULT, adult_x, 0.30, 0.075, 0.58, 0.11, 0.22, 0.20, (85, 150, 105), 0.0)
    child = Figure(CHILD, child_x, 0.56, 0.055, 0.73, 0.07, 0.13, 0.12, (205, 80, 160), 1.3)
    return adult, child


def activity(
    bursts: list[Burst], who: str, times: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """(n,) movement level 0-1 per time: the strongest burst under way, with soft edges."""
    level = np.full(times.size, 0.04)
    for burst in bursts:
        if burst.who != who:
            continue
        ramp = 0.15
        # A trapezoid envelope avoids instant jumps that no body makes.
        rise = np.clip((times - burst.start) / ramp, 0, 1)
        fall = np.clip((burst.end - times) / ramp, 0, 1)
        level = np.maximum(level, burst.amplitude * np.minimum(rise, fall))
    return level


def _ellipse(plane: U8, cx: float, cy: float, rx: float, ry: float, value: int) -> None:
    h, w = plane.shape
    x0, x1 = max(0, int(cx - rx)), min(w, int(cx + rx) + 1)
    y0, y1 = max(0, int(cy - ry)), min(h, int(cy + ry) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    # Only the bounding box is evaluated, so a shape costs its own area, not the frame's.
    yy, xx = np.ogrid[y0:y1, x0:x1]
    inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    plane[y0:y1, x0:x1][inside] = value


def _segment(
    plane: U8, ax: float, ay: float, bx: float, by: float, thick: float, value: int
) -> None:
    h, w = plane.shape
    x0, x1 = max(0, int(min(ax, bx) - thick)), min(w, int(max(ax, bx) + thick) + 1)
    y0, y1 = max(0, int(min(ay, by) - thick)), min(h, int(max(ay, by) + thick) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.ogrid[y0:y1, x0:x1]
    dx, dy = bx - ax, by - ay
    # Project each pixel on the segment, clamp to its ends, and test the distance.
    t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    near = (xx - ax - t * dx) ** 2 + (yy - ay - t * dy) ** 2 <= (thick / 2) ** 2
    plane[y0:y1, x0:x1][near] = value


def _inside(spans: list[tuple[float, float]], t: float) -> bool:
    return any(a <= t < b for a, b in spans)


def _draw(
    planes: tuple[U8, U8, U8],
    fig: Figure,
    level: float,
    t: float,
    width: int,
    looks: dict[str, list[tuple[float, float]]] | None = None,
) -> None:
    y_plane = planes[0]
    height = y_plane.shape[0]
    sway = 0.035 * height * level * np.sin(2 * np.pi * 0.9 * t + fig.phase)
    nod = 0.02 * height * level * np.sin(2 * np.pi * 2.1 * t + fig.phase)
    angle = np.deg2rad(200 + 70 * level * np.sin(2 * np.pi * 2.4 * t + fig.phase))
    cx = fig.centre_x * width + sway
    towards = 1.0 if fig.centre_x < 0.5 else -1.0
    shoulder_x = cx + towards * fig.body_rx * height * 0.8
    shoulder_y = (fig.body_y - fig.body_ry * 0.6) * height
    hand_x = shoulder_x - towards * np.cos(angle) * fig.arm_len * height
    hand_y = shoulder_y - np.sin(angle) * fig.arm_len * height
    for index, plane in enumerate(planes):
        scale = 1.0 if index == 0 else 0.5  # chroma planes are half size
        shirt, skin = fig.shirt[index], SKIN[index]
        _ellipse(
            plane,
            cx * scale,
            fig.body_y * height * scale,
            fig.body_rx * height * scale,
            fig.body_ry * height * scale,
            shirt,
        )
        _segment(
            plane,
            shoulder_x * scale,
            shoulder_y * scale,
            hand_x * scale,
            hand_y * scale,
            0.035 * height * scale,
            shirt,
        )
        _ellipse(
            plane,
            hand_x * scale,
            hand_y * scale,
            0.022 * height * scale,
            0.022 * height * scale,
            skin,
        )
        head_y = (fig.head_y * height + nod) * scale
        r = fig.head_r * height * scale
        if looks is None:
            _ellipse(plane, cx * scale, head_y, r, r * 1.1, skin)
    if looks is not None:
        # Towards the other figure: to the image's right for the one on the left.
        yaw = towards * TURN if _inside(looks["facing"], t) else 0.0
        draw_face_yuv(
            planes,
            cx=cx,
            cy=fig.head_y * height + nod,
            size=fig.head_r * height * 1.1,
            yaw=yaw,
            smile=_inside(looks["smiling"], t),
        )


def _background(rng: np.random.Generator, width: int, height: int) -> tuple[U8, U8, U8]:
    ys = np.linspace(0, 1, height)[:, None]
    xs = np.linspace(0, 1, width)[None, :]
    # A wall-to-floor gradient plus fixed texture: not trivially compressible, like a room.
    luma = 70 + 60 * ys + 10 * np.sin(xs * 9) + rng.normal(0, 6, (height, width))
    luma[int(height * 0.8) :, :] -= 25  # rug
    y_plane = np.clip(luma, 16, 235).astype(np.uint8)
    u_plane = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    v_plane = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    u_plane[int(height * 0.4) :, :] = 120
    v_plane[int(height * 0.4) :, :] = 140
    return y_plane, u_plane, v_plane


def render_frames(
    *,
    rng: np.random.Generator,
    bursts: list[Burst],
    duration_s: float,
    width: int,
    height: int,
    fps: int,
    adult_left: bool,
    looks: dict[str, dict[str, list[tuple[float, float]]]] | None = None,
) -> Iterator[U8]:
    """Yield (height * 3 // 2, width) uint8 yuv420p frames, one per 1/fps s.

    With `looks` (see faces.scripted_looks) the heads get drawn faces that turn and smile.
    """
    adult, child = figures(adult_left=adult_left)
    background = _background(rng, width, height)
    # A handful of sensor-noise frames cycled through: camera grain without per-frame cost.
    grain = rng.integers(-3, 4, size=(5, height, width), dtype=np.int16)
    n_frames = round(duration_s * fps)
    times = np.arange(n_frames) / fps
    levels = {fig.who: activity(bursts, fig.who, times) for fig in (adult, child)}
    for i in range(n_frames):
        y_plane = np.clip(background[0] + grain[i % grain.shape[0]], 0, 255).astype(np.uint8)
        planes = (y_plane, background[1].copy(), background[2].copy())
        for fig in (adult, child):
            own = looks[fig.who] if looks is not None else None
            _draw(planes, fig, float(levels[fig.who][i]), float(times[i]), width, own)
        yield np.concatenate(
            (planes[0], planes[1].reshape(-1, width), planes[2].reshape(-1, width)), axis=0
        )

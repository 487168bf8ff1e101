"""Drawn faces that real face detectors find: truth for the face, head-turn and smile tests.

Shapes are filled straight into an RGB array with numpy masks (no drawing library), so the
project can generate its own test pictures: a shaded skin-coloured head, hair, eyes with dark
irises and brows, a nose line and a mouth that is either a smiling arc or a straight line.
Turning the head (`yaw`) slides the features towards one side of the head, as in a
three-quarter view.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from attunely.errors import InvalidInput

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
RGB = tuple[int, int, int]

SKIN_RGB = (205, 160, 135)
HAIR_RGB = (45, 32, 24)


def _grid(image: U8, cx: float, cy: float, rx: float, ry: float) -> tuple[slice, slice, F64, F64]:
    h, w = image.shape[:2]
    y0, y1 = max(0, int(cy - ry) - 1), min(h, int(cy + ry) + 2)
    x0, x1 = max(0, int(cx - rx) - 1), min(w, int(cx + rx) + 2)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    return slice(y0, y1), slice(x0, x1), (xx - cx) / max(rx, 1e-6), (yy - cy) / max(ry, 1e-6)


def _fill(image: U8, rows: slice, cols: slice, mask: npt.NDArray[np.bool_], rgb: RGB) -> None:
    image[rows, cols][mask] = rgb


def _ellipse(image: U8, cx: float, cy: float, rx: float, ry: float, rgb: RGB) -> None:
    rows, cols, u, v = _grid(image, cx, cy, rx, ry)
    _fill(image, rows, cols, u * u + v * v <= 1.0, rgb)


def _line(image: U8, ax: float, ay: float, bx: float, by: float, thick: float, rgb: RGB) -> None:
    h, w = image.shape[:2]
    y0, y1 = max(0, int(min(ay, by) - thick)), min(h, int(max(ay, by) + thick) + 1)
    x0, x1 = max(0, int(min(ax, bx) - thick)), min(w, int(max(ax, bx) + thick) + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    dx, dy = bx - ax, by - ay
    t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    near = (xx - ax - t * dx) ** 2 + (yy - ay - t * dy) ** 2 <= (thick / 2) ** 2
    image[y0:y1, x0:x1][near] = rgb


def draw_face(
    image: U8,
    *,
    cx: float,
    cy: float,
    size: float,
    yaw: float = 0.0,
    smile: bool = False,
) -> tuple[float, float, float, float]:
    """Draw a face into `image` in place.

    Parameters
    ----------
    image : (h, w, 3) uint8 RGB
    cx, cy : float
        Centre of the head in pixels.
    size : float
        Half the head's height in pixels (at least 8).
    yaw : float
        Head turn from -1 (towards the image's left) through 0 (facing the camera) to 1
        (towards the image's right).
    smile : bool
        A smiling mouth (an upward arc) instead of a straight one.

    Returns
    -------
    (x, y, w, h) of the head in pixels.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidInput("draw_face needs an (h, w, 3) uint8 image")
    if size < 8:
        raise InvalidInput("a drawn face must be at least 8 pixels in size")
    if not -1.0 <= yaw <= 1.0:
        raise InvalidInput("yaw must be between -1 and 1")
    s = float(size)
    rows, cols, u, v = _grid(image, cx, cy, 0.8 * s, s)
    inside = u * u + v * v <= 1.0
    # Light from the front: the middle of the face is brighter than its rim.
    shade = np.clip(1.1 - 0.35 * (u * u + v * v), 0.0, 1.0)
    patch = image[rows, cols]
    for c, value in enumerate(SKIN_RGB):
        channel = patch[..., c]
        channel[inside] = (value * shade[inside]).astype(np.uint8)
    # Hair: the upper part of a flatter ellipse on the crown.
    rows_h, cols_h, uh, vh = _grid(image, cx, cy - 0.55 * s, 0.82 * s, 0.5 * s)
    _fill(image, rows_h, cols_h, (uh * uh + vh * vh <= 1.0) & (vh <= 0), HAIR_RGB)
    off = yaw * 0.35 * s
    eye_y = cy - 0.15 * s
    for side in (-1.0, 1.0):
        ex = cx + off + side * 0.32 * s
        _ellipse(image, ex, eye_y, 0.16 * s, 0.08 * s, (245, 245, 245))
        _ellipse(image, ex, eye_y, 0.07 * s, 0.07 * s, (60, 38, 25))
        _ellipse(image, ex, eye_y, 0.03 * s, 0.03 * s, (0, 0, 0))
        _line(
            image,
            ex - 0.18 * s,
            eye_y - 0.17 * s,
            ex + 0.18 * s,
            eye_y - 0.2 * s,
            max(2.0, 0.05 * s),
            (70, 48, 35),
        )
    thin = max(2.0, 0.03 * s)
    _line(image, cx + off, eye_y + 0.05 * s, cx + off - 0.1 * s, cy + 0.2 * s, thin, (150, 100, 90))
    _line(
        image,
        cx + off - 0.1 * s,
        cy + 0.2 * s,
        cx + off + 0.1 * s,
        cy + 0.2 * s,
        thin,
        (150, 100, 90),
    )
    mouth_y = cy + 0.45 * s
    lips = (125, 40, 50)
    thick = max(3.0, 0.06 * s)
    if smile:
        # The lower half of an ellipse: corners up, middle down.
        angles = np.linspace(np.deg2rad(10), np.deg2rad(170), 12)
        xs = cx + off + 0.3 * s * np.cos(angles)
        ys = mouth_y - 0.08 * s + 0.15 * s * np.sin(angles)
        for k in range(len(angles) - 1):
            _line(image, xs[k], ys[k], xs[k + 1], ys[k + 1], thick, lips)
    else:
        _line(image, cx + off - 0.2 * s, mouth_y, cx + off + 0.2 * s, mouth_y, thick, lips)
    return (cx - 0.8 * s, cy - s, 1.6 * s, 2.0 * s)


#: How far (-1..1, see draw_face) a figure turns its head when it faces the other one.
TURN = 0.6


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def scripted_looks(
    bursts: list[tuple[str, float, float, str]], *, duration_s: float
) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """When each figure faces the other and when it smiles, from its movement bursts.

    The adult turns to the child while responding (its "response" bursts, and a second after)
    and smiles as it does; the child turns to the adult while taking an initiative, and smiles
    for two seconds after the adult starts to respond. Otherwise both face the camera.

    Parameters
    ----------
    bursts : [(who, start s, end s, kind)]
    duration_s : film length

    Returns
    -------
    {who: {"facing": [(start, end)], "smiling": [(start, end)]}}, merged, in time order.
    """
    end_s = max(0.0, duration_s)
    facing: dict[str, list[tuple[float, float]]] = {"ADULT": [], "CHILD": []}
    smiling: dict[str, list[tuple[float, float]]] = {"ADULT": [], "CHILD": []}
    for who, start, end, kind in bursts:
        if who == "ADULT" and kind == "response":
            facing["ADULT"].append((max(0.0, start - 0.2), min(end_s, end + 1.0)))
            smiling["ADULT"].append((start, min(end_s, end)))
            smiling["CHILD"].append((start, min(end_s, start + 2.0)))
        elif who == "CHILD" and kind == "initiative":
            facing["CHILD"].append((start, min(end_s, end + 0.5)))
    return {
        who: {"facing": _merge(facing[who]), "smiling": _merge(smiling[who])}
        for who in ("ADULT", "CHILD")
    }


def _to_rgb(y: F64, u: F64, v: F64) -> U8:
    # BT.601 limited range, what the generated H.264 films carry.
    c, d, e = y - 16.0, u - 128.0, v - 128.0
    r = 1.164 * c + 1.596 * e
    g = 1.164 * c - 0.392 * d - 0.813 * e
    b = 1.164 * c + 2.017 * d
    rgb: npt.NDArray[np.uint8] = np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)
    return rgb


def draw_face_yuv(
    planes: tuple[U8, U8, U8],
    *,
    cx: float,
    cy: float,
    size: float,
    yaw: float,
    smile: bool,
) -> None:
    """Draw a face (see draw_face) into yuv420p planes (Y full size, U and V half) in place."""
    y_plane, u_plane, v_plane = planes
    h, w = y_plane.shape
    # An even-aligned patch around the head, so chroma samples line up with 2x2 luma blocks.
    x0, y0 = max(0, int(cx - size) - 2) & ~1, max(0, int(cy - 1.2 * size) - 2) & ~1
    x1, y1 = min(w, int(cx + size) + 4) & ~1, min(h, int(cy + 1.2 * size) + 4) & ~1
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    luma = y_plane[y0:y1, x0:x1].astype(np.float64)
    u = np.repeat(np.repeat(u_plane[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 2, 0), 2, 1)
    v = np.repeat(np.repeat(v_plane[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 2, 0), 2, 1)
    rgb = _to_rgb(luma, u.astype(np.float64), v.astype(np.float64))
    draw_face(rgb, cx=cx - x0, cy=cy - y0, size=size, yaw=yaw, smile=smile)
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    y_plane[y0:y1, x0:x1] = np.clip(16 + 0.257 * r + 0.504 * g + 0.098 * b, 0, 255)
    ph, pw = (y1 - y0) // 2, (x1 - x0) // 2
    uu = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    vv = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    u_plane[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = np.clip(
        uu.reshape(ph, 2, pw, 2).mean(axis=(1, 3)), 0, 255
    )
    v_plane[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = np.clip(
        vv.reshape(ph, 2, pw, 2).mean(axis=(1, 3)), 0, 255
    )

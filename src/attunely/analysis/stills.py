"""Still pictures for the report: small RGB frames encoded as JPEG with PyAV (no Pillow)."""

from __future__ import annotations

import base64
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from attunely.errors import InvalidInput


def encode_jpeg(rgb: npt.NDArray[np.uint8], *, quality: int = 4) -> bytes:
    """Encode an (h, w, 3) uint8 RGB picture as a baseline JPEG.

    Parameters
    ----------
    rgb : (h, w, 3) uint8
        Even width and height.
    quality : int
        MJPEG qscale, 2 (best) to 31 (smallest).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InvalidInput("a still must be an (h, w, 3) uint8 RGB array")
    h, w = rgb.shape[:2]
    # 4:2:0 JPEG needs even sides; crop the odd pixel rather than resample.
    rgb = np.ascontiguousarray(rgb[: h - h % 2, : w - w % 2])
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = rgb.shape[1], rgb.shape[0]
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    if not 2 <= quality <= 31:
        raise InvalidInput("JPEG quality must be 2-31", field="quality")
    # A fixed quantiser (qmin = qmax) is how FFmpeg's MJPEG encoder takes a quality.
    codec.qmin = codec.qmax = quality
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuvj420p")
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    return b"".join(bytes(p) for p in packets)


def data_uri(jpeg: bytes) -> str:
    """A data: URI so the report needs no separate picture files."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")

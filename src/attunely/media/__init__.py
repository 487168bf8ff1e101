"""The media edge: probe a film, make its browser proxy, thumbnails and waveform.

Privacy rule for everything here: a film is read from a seekable binary file-like object
(the vault's decrypting reader) and outputs go to a caller-supplied writable sink (the vault's
streaming encryptor). Nothing of a film ever touches the disk in plaintext: no temporary
files, no FFmpeg scratch output, no caches.
"""

from __future__ import annotations

from attunely.media.files import Sink, Source
from attunely.media.probe import AudioInfo, ProbeResult, VideoInfo, probe
from attunely.media.stills import (
    PeakMeter,
    StripResult,
    ThumbnailCollector,
    Waveform,
    thumbnail_strip,
    waveform,
)
from attunely.media.transcode import ProxyResult, make_proxy, proxy_frame_rate

__all__ = [
    "AudioInfo",
    "PeakMeter",
    "ProbeResult",
    "ProxyResult",
    "Sink",
    "Source",
    "StripResult",
    "ThumbnailCollector",
    "VideoInfo",
    "Waveform",
    "make_proxy",
    "probe",
    "proxy_frame_rate",
    "thumbnail_strip",
    "waveform",
]

"""Per-person tracks from sampled detections, and what they add to the moments.

Detections of faces and bodies are sampled about once a second. Where two people recur at
two places in the picture, their areas become the movement regions (instead of regions
guessed from movement alone). Each person's track then records, per sample, the face and body
boxes when seen, the head turn, whether the head is turned towards the other person, and
whether the face is smiling. The parent's face is often in profile or turned away, so the head
turn comes from the face when it is seen and from the body's pose (nose and ears) when not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from attunely.analysis.arrays import require_range, runs
from attunely.analysis.moments import Moment, clock
from attunely.analysis.motion import Box
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.vision import SMILE_LIFT, Detections, person_box

#: Head turn (see vision.py) towards the other person from which a head counts as facing them.
FACING_YAW = 0.25


@dataclass(frozen=True)
class VisionSample:
    """The detections of one sampled picture at `time` seconds."""

    time: float
    detections: Detections


@dataclass(frozen=True)
class PersonSample:
    """One person at one sampled picture (None: not seen or not measurable there)."""

    time: float
    face: Box | None
    body: Box | None
    yaw: float | None
    facing_other: bool | None
    smile: bool | None


@dataclass
class PersonTrack:
    """One person's samples over the film, in time order."""

    who: str
    samples: list[PersonSample] = field(default_factory=list)

    def share(self, attribute: str) -> float:
        """Fraction of samples where `attribute` (face, body, facing_other, smile) is set/true."""
        if not self.samples:
            return 0.0
        return sum(1 for s in self.samples if getattr(s, attribute)) / len(self.samples)

    def spans(self, attribute: str, *, step_s: float) -> list[tuple[float, float]]:
        """[(start, end)] stretches of consecutive samples where `attribute` is true."""
        flags = np.array([bool(getattr(s, attribute)) for s in self.samples])
        times = [s.time for s in self.samples]
        return [(times[a], times[b - 1] + step_s) for a, b in runs(flags)]


def _centre(box: Box) -> tuple[float, float]:
    return box.x + box.w / 2, box.y + box.h / 2


def _person_boxes(detections: Detections) -> list[Box]:
    """Each detection's likely person area: bodies as they are, faces grown to a body."""
    return [b.box for b in detections.bodies] + [person_box(f.box) for f in detections.faces]


def propose_person_regions(
    samples: list[VisionSample], *, min_share: float = 0.2, min_gap: float = 0.12
) -> tuple[Box, ...]:
    """Areas where two people recur, left to right (or fewer when that is not clear).

    Parameters
    ----------
    samples : the sampled detections of the film
    min_share : float
        Each person must be detected in at least this share of the samples.
    min_gap : float
        Their typical horizontal centres must be at least this far apart (fraction of width).

    Returns
    -------
    () when nobody is found often enough, (box,) for one person, (left, right) for two.
    Each box spans the 10th to 90th percentile of that person's detected extent, so a
    stray detection does not stretch it.
    """
    require_range("min_share", min_share, 0.0, 1.0)
    require_range("min_gap", min_gap, 0.0, 1.0)
    boxes = [b for s in samples for b in _person_boxes(s.detections)]
    if not samples or not boxes:
        return ()
    centres = np.array([_centre(b)[0] for b in boxes])
    order = np.sort(centres)
    # Otsu's split in one dimension: the cut that best separates two groups of centres.
    best_cut, best_score = None, 0.0
    for k in range(1, order.size):
        left, right = order[:k], order[k:]
        score = left.size * right.size * (right.mean() - left.mean()) ** 2
        if score > best_score:
            best_cut, best_score = (order[k - 1] + order[k]) / 2, score
    groups: list[list[Box]] = [boxes]
    if best_cut is not None:
        left_boxes = [b for b, c in zip(boxes, centres, strict=True) if c <= best_cut]
        right_boxes = [b for b, c in zip(boxes, centres, strict=True) if c > best_cut]
        needed = max(1.0, min_share * len(samples))
        gap = 0.0
        if len(left_boxes) >= needed and len(right_boxes) >= needed:
            right_mid = np.median(centres[centres > best_cut])
            gap = float(right_mid - np.median(centres[centres <= best_cut]))
        if gap >= min_gap:
            groups = [left_boxes, right_boxes]
    regions = []
    for group in groups:
        if len(group) < min_share * len(samples):
            continue
        x0 = np.percentile([b.x for b in group], 10)
        y0 = np.percentile([b.y for b in group], 10)
        x1 = np.percentile([b.x + b.w for b in group], 90)
        y1 = np.percentile([b.y + b.h for b in group], 90)
        if x1 > x0 and y1 > y0:
            regions.append(Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
    return tuple(regions)


def _owner(box: Box, regions: dict[str, Box]) -> str | None:
    """Whose region holds this detection's centre (the nearest one within reach)."""
    cx, cy = _centre(box)
    best, best_d = None, 0.3
    for who, region in regions.items():
        rx, ry = _centre(region)
        inside = region.x <= cx <= region.x + region.w and region.y <= cy <= region.y + region.h
        d = 0.0 if inside else abs(cx - rx) + 0.5 * abs(cy - ry)
        if d < best_d:
            best, best_d = who, d
    return best


def people_tracks(
    samples: list[VisionSample], *, adult: Box | None, child: Box | None
) -> dict[str, PersonTrack]:
    """Split sampled detections into the adult's and the child's tracks.

    Parameters
    ----------
    samples : sampled detections, in time order
    adult, child : Box | None
        The people's regions (from detections, movement or a practitioner). A detection
        belongs to the region that holds its centre, else the nearest one close by.

    Returns
    -------
    {"ADULT": track, "CHILD": track} with one sample per vision sample each (empty tracks
    for a person without a region).
    """
    regions = {who: box for who, box in ((ADULT, adult), (CHILD, child)) if box is not None}
    tracks = {ADULT: PersonTrack(ADULT), CHILD: PersonTrack(CHILD)}
    for sample in samples:
        faces: dict[str, tuple[Box, float | None, float | None, float]] = {}
        bodies: dict[str, tuple[Box, float | None, float]] = {}
        for f in sample.detections.faces:
            who = _owner(person_box(f.box), regions)
            if who is not None and (who not in faces or f.score > faces[who][3]):
                faces[who] = (f.box, f.yaw, f.smile, f.score)
        for b in sample.detections.bodies:
            who = _owner(b.box, regions)
            if who is not None and (who not in bodies or b.score > bodies[who][2]):
                bodies[who] = (b.box, b.yaw, b.score)
        where: dict[str, float] = {}
        for who, region in regions.items():
            seen = faces[who][0] if who in faces else bodies[who][0] if who in bodies else region
            where[who] = _centre(seen)[0]
        for who in regions:
            other = CHILD if who == ADULT else ADULT
            face = faces.get(who)
            body = bodies.get(who)
            # The face's own turn when the face is seen; the pose's (nose and ears) when not.
            yaw = face[1] if face is not None and face[1] is not None else None
            if yaw is None and body is not None:
                yaw = body[1]
            facing = None
            if yaw is not None and other in where and where[other] != where[who]:
                towards = 1.0 if where[other] > where[who] else -1.0
                facing = yaw * towards >= FACING_YAW
            smile = None
            if face is not None and face[2] is not None:
                smile = bool(face[2] >= SMILE_LIFT)
            tracks[who].samples.append(
                PersonSample(
                    sample.time,
                    face[0] if face else None,
                    body[0] if body else None,
                    None if yaw is None else round(float(yaw), 3),
                    facing,
                    smile,
                )
            )
    return tracks


def _during(track: PersonTrack, start: float, end: float, attribute: str) -> float | None:
    """Share of the known samples in [start, end] where `attribute` is true (None if none)."""
    known = [
        getattr(s, attribute)
        for s in track.samples
        if start <= s.time <= end and getattr(s, attribute) is not None
    ]
    if not known:
        return None
    return sum(1 for k in known if k) / len(known)


def _first_smile(track: PersonTrack, start: float, end: float) -> float | None:
    return next((s.time for s in track.samples if start <= s.time <= end and s.smile), None)


def add_looks(moments: list[Moment], tracks: dict[str, PersonTrack]) -> list[Moment]:
    """Add head-turn and smile reasons (and a little strength) to candidate moments.

    The adult's response is looked at from a second before to three seconds after the
    moment's response instant (`still_s`); the child's turn towards the adult over the three
    seconds before it; smiles anywhere in the moment. Pictures are sampled every few seconds
    (a 4 s window always holds one at the default rate), so a reason needs most of the known
    samples in its window to agree.
    """
    adult, child = tracks.get(ADULT), tracks.get(CHILD)
    out = []
    for m in moments:
        reasons = list(m.reasons)
        evidence = dict(m.evidence)
        bonus = 0.0
        if adult is not None:
            share = _during(adult, m.still_s - 1.0, m.still_s + 3.0, "facing_other")
            if share is not None:
                evidence["adult_facing_child"] = round(share, 2)
            if share is not None and share >= 0.5:
                bonus += 0.05
                if m.kind == "vocal_initiative" and reasons:
                    reasons[0] += " while facing the child"
                else:
                    reasons.append("the adult was turned towards the child as they responded")
        if child is not None:
            share = _during(child, m.still_s - 3.0, m.still_s, "facing_other")
            if share is not None:
                evidence["child_facing_adult"] = round(share, 2)
            if share is not None and share >= 0.5 and m.kind != "invitation":
                reasons.append("the child was turned towards the adult")
                bonus += 0.03
        for track, name in ((child, "child"), (adult, "adult")):
            if track is None:
                continue
            when = _first_smile(track, m.start, m.end)
            if when is not None:
                reasons.append(f"the {name} smiled at {clock(when)}")
                evidence[f"{name}_smiled_s"] = round(when, 2)
                bonus += 0.03
        if reasons != list(m.reasons) or evidence != m.evidence:
            strength = round(float(min(1.0, m.strength + bonus)), 3)
            m = replace(m, reasons=tuple(reasons), evidence=evidence, strength=strength)
        out.append(m)
    return out

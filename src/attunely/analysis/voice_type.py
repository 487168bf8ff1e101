"""Adult or child? Voice type for each stretch of speech, behind a small replaceable interface.

No installable adult/child voice model exists (the Voice Type Classifier's weights are not
on PyPI), so the default classifier is built from acoustics a phonetician would use:

* pitch (YIN): young children speak around 250-600 Hz, adults around 80-300 Hz. A two-class
  model of log pitch is adapted to each film by maximum-a-posteriori EM, starting from and
  pulled towards typical values (the "sanity priors"), so a film with one voice type does not
  get split in two;
* the spectral envelope (cepstra of mel band powers): a child's shorter vocal tract puts the
  formants higher. No fixed envelope model fits every room and microphone, so one is learned
  per film from the frames whose pitch leaves no doubt, and then also decides the frames
  whose pitch is ambiguous (an adult's raised, infant-directed voice, for example).

Each speech segment is then labelled frame by frame with a two-state Viterbi pass that
charges a penalty for every change of speaker, and split where the speaker changes.

A stronger model can replace this one: anything with a matching `classify` method will do.
The pipeline hands it per-frame features (pitch, spectral envelope), never the whole
soundtrack, so memory stays flat in film length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from attunely.analysis.activity import CHUNK_FRAMES, Activity, estimate_noise
from attunely.analysis.arrays import F32, F64, HOP_S, require_mono, require_positive, runs
from attunely.analysis.segments import ADULT, CHILD, Segment
from attunely.analysis.spectral import band_powers, bins_per_band
from attunely.errors import InvalidInput


class VoiceTypeClassifier(Protocol):
    """Labels speech as ADULT or CHILD."""

    name: str

    def classify(self, *, activity: Activity, features: FrameFeatures) -> list[Segment]:
        """Return ADULT/CHILD segments covering `activity.segments`.

        Parameters
        ----------
        activity : Activity
            Speech activity (segments and pitch) of the film.
        features : FrameFeatures
            Per-frame features of the same film (see frame_features / features_from).
        """
        ...


@dataclass(frozen=True)
class VoiceModel:
    """Two Gaussians over log2 pitch (octaves) with a shared variance: ADULT, CHILD.

    Attributes
    ----------
    means : (2,) float64
        log2 Hz of the adult's and the child's typical pitch in this film.
    variance : float
        Shared within-voice variance in octaves squared.
    adapted : bool
        False when the film did not pass the sanity checks and the priors were kept.
    """

    means: F64
    variance: float
    adapted: bool

    def log_ratio(self, log_f0: F64) -> F64:
        """(n,) log p(pitch | CHILD) - log p(pitch | ADULT)."""
        # With a shared variance the Gaussian normalisers cancel: only the distances remain.
        ratio: F64 = ((log_f0 - self.means[0]) ** 2 - (log_f0 - self.means[1]) ** 2) / (
            2 * self.variance
        )
        return ratio

    @property
    def pitch_hz(self) -> tuple[float, float]:
        return float(2 ** self.means[0]), float(2 ** self.means[1])


PRIOR_MEANS = np.log2(np.array([190.0, 370.0]))
PRIOR_VARIANCE = 0.25**2
# A film's voices vary at least this much (octaves squared) around their typical pitch.
MIN_VARIANCE = 0.15**2


def fit_voice_model(
    log_f0: F64,
    *,
    prior_weight: float = 300.0,
    iterations: int = 25,
    min_octaves_apart: float = 0.3,
) -> VoiceModel:
    """Adapt the two-voice pitch model to one film's voiced frames.

    Parameters
    ----------
    log_f0 : (n,) float64
        log2 pitch in Hz of voiced speech frames.
    prior_weight : float
        How many frames' worth of belief the typical values carry.
    iterations : int
    min_octaves_apart : float
        If the adapted means end up closer than this (or outside the usual ranges), the film
        is taken to hold one voice type and the priors are kept.

    Returns
    -------
    VoiceModel with adapted=True if the adaptation passed the sanity checks.
    """
    require_positive("prior_weight", prior_weight)
    require_positive("iterations", iterations)
    prior = VoiceModel(PRIOR_MEANS.copy(), PRIOR_VARIANCE, adapted=False)
    x = np.asarray(log_f0, dtype=np.float64)
    if x.size < 50:
        return prior
    means, variance = PRIOR_MEANS.copy(), PRIOR_VARIANCE
    weights = np.array([0.5, 0.5])
    for _ in range(iterations):
        model = VoiceModel(means, variance, adapted=True)
        # E-step: each frame's responsibility for CHILD, from the log odds.
        odds = model.log_ratio(x) + np.log(weights[1] / weights[0])
        child = 1.0 / (1.0 + np.exp(-np.clip(odds, -50, 50)))
        resp = np.stack((1 - child, child))
        counts = resp.sum(axis=1)
        # MAP M-step: each mean is pulled towards its prior with prior_weight frames of belief.
        means = (prior_weight * PRIOR_MEANS + resp @ x) / (prior_weight + counts)
        spread = float(sum(resp[k] @ (x - means[k]) ** 2 for k in range(2)))
        variance = max(
            (2 * prior_weight * PRIOR_VARIANCE + spread) / (2 * prior_weight + x.size),
            MIN_VARIANCE,
        )
        weights = (counts + 1) / (counts.sum() + 2)
    adult_hz, child_hz = float(2 ** means[0]), float(2 ** means[1])
    sane = (
        means[1] - means[0] >= min_octaves_apart
        and 220.0 <= child_hz <= 700.0
        and 70.0 <= adult_hz <= 320.0
    )
    return VoiceModel(means, variance, adapted=True) if sane else prior


@dataclass(frozen=True)
class FrameFeatures:
    """Acoustic features per 10 ms frame.

    Attributes
    ----------
    log_f0 : (n,) float64
        log2 pitch in Hz (NaN where unvoiced).
    cepstra : (n, N_CEPSTRA) float32
        Shape of the spectral envelope (DCT of log mel band powers, loudness removed):
        where the formants sit, which a shorter vocal tract moves up.
    voiced : (n,) bool
        Speech frames with a pitch.
    speech : (n,) bool
        Speech frames.
    """

    log_f0: F64
    cepstra: F32
    voiced: npt.NDArray[Any]
    speech: npt.NDArray[Any]


N_CEPSTRA = 12


def cepstra_of(samples: npt.NDArray[Any]) -> F32:
    """(n_frames, N_CEPSTRA) float32 spectral envelope of every 10 ms frame of `samples`.

    Log mel band powers floored at the noise, then a DCT: the classic cepstral envelope.
    """
    bands, _ = band_powers(samples)
    n = bands.shape[0]
    noise = estimate_noise(bands, bins=bins_per_band())
    k = np.arange(bands.shape[1])
    dct = np.cos(np.pi / bands.shape[1] * (k[None, :] + 0.5) * np.arange(1, N_CEPSTRA + 1)[:, None])
    cepstra = np.zeros((n, N_CEPSTRA), dtype=np.float32)
    for begin in range(0, n, CHUNK_FRAMES):
        end = min(n, begin + CHUNK_FRAMES)
        # A chunk at a time, so the temporaries do not grow with the film.
        floor = noise.at(begin, end)
        cepstra[begin:end] = np.log(np.maximum(bands[begin:end], floor) + 1e-12) @ dct.T
    return cepstra


def features_from(*, cepstra: F32, activity: Activity) -> FrameFeatures:
    """FrameFeatures from per-frame cepstra and the activity's mask and pitch."""
    n = min(cepstra.shape[0], activity.mask.size)
    f0 = activity.pitch.f0_hz[:n].astype(np.float64)
    speech = activity.mask[:n].copy()
    voiced = np.isfinite(f0) & speech
    return FrameFeatures(np.log2(f0), cepstra[:n], voiced, speech)


def frame_features(samples: npt.NDArray[Any], activity: Activity) -> FrameFeatures:
    """Compute FrameFeatures for the speech frames of `samples` (16 kHz mono)."""
    return features_from(cepstra=cepstra_of(samples), activity=activity)


@dataclass(frozen=True)
class EnvelopeModel:
    """Linear discriminant on cepstra learned from one film's clearly pitched frames."""

    weights: F64  # (N_CEPSTRA,)
    offset: float

    def log_ratio(self, cepstra: F64) -> F64:
        """(n,) log p(CHILD) - log p(ADULT) from the spectral envelope."""
        return cepstra @ self.weights + self.offset


def fit_envelope(
    cepstra: F64, labels: npt.NDArray[Any], *, min_frames: int = 40
) -> EnvelopeModel | None:
    """Two Gaussians with a shared diagonal variance (a linear discriminant).

    Parameters
    ----------
    cepstra : (n, d) float64 for frames whose voice type is already clear from pitch
    labels : (n,) int, 0 = ADULT, 1 = CHILD
    min_frames : int
        Each class needs this many frames, else None (e.g. a film with one voice type).
    """
    adult, child = cepstra[labels == 0], cepstra[labels == 1]
    if adult.shape[0] < min_frames or child.shape[0] < min_frames:
        return None
    mu_a, mu_c = adult.mean(axis=0), child.mean(axis=0)
    # Pooled within-class variance; the floor keeps one flat dimension from dominating.
    var = (((adult - mu_a) ** 2).sum(axis=0) + ((child - mu_c) ** 2).sum(axis=0)) / (
        adult.shape[0] + child.shape[0] - 2
    )
    var = np.maximum(var, 1e-3)
    weights = (mu_c - mu_a) / var
    offset = float(-(weights @ (mu_a + mu_c)) / 2)
    # The discriminant treats 12 correlated coefficients as independent, so its raw output
    # is far too confident; a 1-D logistic fit against the same frames rescales it to
    # honest log-odds (and shrinks it automatically when noise blurs the envelope).
    scale, bias = _logistic_1d(cepstra @ weights + offset, labels)
    return EnvelopeModel(weights * scale, offset * scale + bias)


def _logistic_1d(
    score: F64, labels: npt.NDArray[Any], *, iterations: int = 25
) -> tuple[float, float]:
    """Fit p(label=1) = sigmoid(a * score + b) by Newton's method; returns (a, b)."""
    x = np.stack((score, np.ones_like(score)), axis=1)
    y = labels.astype(np.float64)
    theta = np.array([0.1, 0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ theta, -30, 30)))
        grad = x.T @ (y - p)
        # A small ridge keeps the Hessian invertible when the classes separate perfectly.
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.max(np.abs(step)) < 1e-6:
            break
    return float(theta[0]), float(theta[1])


def viterbi_two_state(evidence: F64, *, switch_cost: float) -> npt.NDArray[Any]:
    """Most likely ADULT(0)/CHILD(1) path for per-frame log ratios, paying per switch.

    Parameters
    ----------
    evidence : (n,) float64
        log p(CHILD) - log p(ADULT) per frame (0 = no evidence).
    switch_cost : float
        Nats charged for each change of speaker.

    Returns
    -------
    (n,) int8 path.
    """
    n = evidence.size
    back = np.zeros((n, 2), dtype=np.int8)
    score = np.array([-evidence[0] / 2, evidence[0] / 2]) if n else np.zeros(2)
    for t in range(1, n):
        half = evidence[t] / 2
        stay_a, move_a = score[0], score[1] - switch_cost
        stay_c, move_c = score[1], score[0] - switch_cost
        back[t, 0] = 0 if stay_a >= move_a else 1
        back[t, 1] = 1 if stay_c >= move_c else 0
        score = np.array([max(stay_a, move_a) - half, max(stay_c, move_c) + half])
    path = np.zeros(n, dtype=np.int8)
    if n:
        path[-1] = int(np.argmax(score))
        for t in range(n - 1, 0, -1):
            path[t - 1] = back[t, path[t]]
    return path


@dataclass
class AcousticVoiceTypeClassifier:
    """The default classifier: pitch and spectral envelope, adapted per film (module doc).

    Attributes
    ----------
    switch_cost : float
        Nats of contrary evidence needed before a segment changes speaker.
    max_frame_evidence : float
        Cap on one frame's log ratio, so a glitch cannot outvote a second of speech.
    envelope_weight : float
        Weight of the film-adapted spectral-envelope evidence next to pitch.
    clear_evidence : float
        Pitch log ratio beyond which a frame is clear enough to teach the envelope model.
    min_turn_s : float
        A change of speaker inside one stretch of speech must last this long; shorter
        pieces (a child's falling last syllable, an adult's raised word) join a neighbour.
    """

    switch_cost: float = 12.0
    max_frame_evidence: float = 4.0
    envelope_weight: float = 0.6
    clear_evidence: float = 2.0
    min_turn_s: float = 0.3
    name: str = "acoustic"
    model: VoiceModel | None = field(default=None, init=False)

    def classify(
        self,
        *,
        activity: Activity,
        features: FrameFeatures | None = None,
        samples: npt.NDArray[Any] | None = None,
    ) -> list[Segment]:
        """ADULT/CHILD segments from `features`, or from `samples` (the whole soundtrack)."""
        require_positive("switch_cost", self.switch_cost)
        require_positive("max_frame_evidence", self.max_frame_evidence)
        if features is None and samples is None:
            raise InvalidInput("classify needs the features or the samples")
        if not activity.segments:
            self.model = None
            return []
        if features is None:
            assert samples is not None
            features = frame_features(require_mono("samples", samples), activity)
        feats = features
        voiced = feats.voiced
        self.model = fit_voice_model(feats.log_f0[voiced])
        ratio = np.zeros(feats.speech.size)
        ratio[voiced] = np.clip(
            self.model.log_ratio(feats.log_f0[voiced]),
            -self.max_frame_evidence,
            self.max_frame_evidence,
        )
        # Frames whose pitch leaves no doubt teach the film's own adult and child envelopes,
        # which then also speak for unvoiced frames and for pitch-ambiguous voices.
        clear = voiced & (np.abs(ratio) >= self.clear_evidence)
        envelope = fit_envelope(
            feats.cepstra[clear].astype(np.float64), (ratio[clear] > 0).astype(int)
        )
        if envelope is not None and self.envelope_weight > 0:
            # Only voiced frames: the envelope was learned from vowels, not from hisses.
            ratio[voiced] += self.envelope_weight * np.clip(
                envelope.log_ratio(feats.cepstra[voiced].astype(np.float64)),
                -self.max_frame_evidence,
                self.max_frame_evidence,
            )
        out: list[Segment] = []
        for seg in activity.segments:
            a = round(seg.start / HOP_S)
            b = min(round(seg.end / HOP_S), ratio.size)
            if b <= a:
                continue
            path = viterbi_two_state(ratio[a:b], switch_cost=self.switch_cost)
            path = absorb_short_runs(path, ratio[a:b], min_frames=round(self.min_turn_s / HOP_S))
            for label_id, (ra, rb) in _labelled_runs(path):
                label = CHILD if label_id == 1 else ADULT
                # Confidence: the share of frames carrying evidence that agree with the label.
                votes = np.sign(ratio[a + ra : a + rb])
                votes = votes[votes != 0]
                agree = float(np.mean(votes == (1 if label_id else -1))) if votes.size else 0.0
                out.append(
                    Segment((a + ra) * HOP_S, (a + rb) * HOP_S, label, confidence=round(agree, 3))
                )
        return out


def absorb_short_runs(
    path: npt.NDArray[Any], evidence: F64, *, min_frames: int
) -> npt.NDArray[Any]:
    """Remove speaker pieces shorter than `min_frames`, shortest first.

    The short piece and its neighbours are merged and the merged stretch takes the label its
    summed evidence favours, so a child's falling last syllable does not hand the whole
    vocalisation to the adult (nor the reverse).

    Parameters
    ----------
    path : (n,) int8 0/1 labels (0 = ADULT, 1 = CHILD)
    evidence : (n,) float64 per-frame log p(CHILD) - log p(ADULT)
    min_frames : int

    Returns
    -------
    (n,) int8 path whose runs are all at least min_frames long (or a single run).
    """
    out = path.copy()
    while True:
        pieces = _labelled_runs(out)
        if len(pieces) <= 1:
            return out
        index = min(range(len(pieces)), key=lambda k: pieces[k][1][1] - pieces[k][1][0])
        _, (start, end) = pieces[index]
        if end - start >= min_frames:
            return out
        lo = pieces[max(0, index - 1)][1][0]
        hi = pieces[min(len(pieces) - 1, index + 1)][1][1]
        out[lo:hi] = 1 if float(evidence[lo:hi].sum()) > 0 else 0


def _labelled_runs(path: npt.NDArray[Any]) -> list[tuple[int, tuple[int, int]]]:
    """[(label, (start, end))] for the constant runs of a 0/1 path."""
    found = [(1, r) for r in runs(path == 1)] + [(0, r) for r in runs(path == 0)]
    return sorted(found, key=lambda item: item[1][0])

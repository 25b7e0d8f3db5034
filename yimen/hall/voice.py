"""The boards' voice: a call announced in Mandarin as one WAV, joined on the server from clips
that ship with the project (yimen/hall/voice/*.wav, made by scripts/make_voice_clips.py with
espeak-ng). No synthesiser and no network at run time; every display that can play a WAV speaks.

An announcement: a two-tone chime, then "请 A 零 一 二 号，到 二 零 三 号窗口办理" twice.
Numbers are read digit by digit, letters as in English, as halls do. Pure (files and bytes only).
"""

from __future__ import annotations

import io
import math
import re
import wave
from array import array
from functools import lru_cache
from pathlib import Path

CLIPS = Path(__file__).resolve().parent / "voice"
RATE = 22_050
NUMBER_RE = re.compile(r"^[A-Z]{0,3}[0-9]{1,5}$")
WINDOW_RE = re.compile(r"^[A-Z0-9]{1,6}$")
PEAK = 26_000  # the spoken part is normalised to this peak (of 32 767)


class BadAnnouncement(ValueError):
    """A number or window that cannot be read out (Chinese message)."""


@lru_cache(maxsize=64)
def _clip(name: str) -> array:
    with wave.open(str(CLIPS / f"{name}.wav")) as w:
        if w.getframerate() != RATE or w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise RuntimeError(f"clip {name}: expected mono 16-bit {RATE} Hz")
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    return samples


def _silence(seconds: float) -> array:
    return array("h", bytes(2 * int(RATE * seconds)))


def chime() -> array:
    """Ding-dong: E5 then C5, each with a soft attack and an exponential decay."""
    out = array("h")
    for freq, length in ((659.25, 0.45), (523.25, 0.7)):
        n = int(RATE * length)
        for i in range(n):
            t = i / RATE
            envelope = min(1.0, t / 0.01) * math.exp(-4.0 * t)
            value = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            out.append(int(14_000 * envelope * value))
    return out


def _spell(text: str) -> list[str]:
    return [f"d{c}" if c.isdigit() else f"l{c}" for c in text]


def phrase_clips(number: str, window: str) -> list[str]:
    """The clip names of one "请 … 号，到 … 号窗口办理"."""
    number, window = number.strip().upper(), window.strip().upper()
    if not NUMBER_RE.match(number):
        raise BadAnnouncement(f"号码格式不正确：{number[:12]}")
    if not WINDOW_RE.match(window):
        raise BadAnnouncement(f"窗口号格式不正确：{window[:12]}")
    return ["qing", *_spell(number), "hao_dao", *_spell(window), "window_tail"]


def _join(names: list[str], gap: float = 0.03) -> array:
    out = array("h")
    for name in names:
        out.extend(_clip(name))
        out.extend(_silence(gap))
    return out


def _normalise(samples: array) -> array:
    peak = max((abs(s) for s in samples), default=0)
    if peak == 0:
        return samples
    gain = PEAK / peak
    return array("h", (max(-32_767, min(32_767, int(s * gain))) for s in samples))


def _wav(samples: array) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()


@lru_cache(maxsize=256)
def announcement_wav(number: str, window: str, times: int = 2) -> bytes:
    """The WAV of one call: chime, then the sentence `times` times."""
    spoken = _normalise(_join(phrase_clips(number, window)))
    out = array("h")
    out.extend(chime())
    out.extend(_silence(0.3))
    for i in range(times):
        if i:
            out.extend(_silence(0.8))
        out.extend(spoken)
    out.extend(_silence(0.3))
    return _wav(out)


@lru_cache(maxsize=1)
def closed_wav() -> bytes:
    """A closed outlet's board: chime, then "本网点现在不在办公时间"."""
    out = array("h")
    out.extend(chime())
    out.extend(_silence(0.3))
    out.extend(_normalise(_join(["closed"])))
    out.extend(_silence(0.3))
    return _wav(out)


def measure(data: bytes) -> dict[str, float]:
    """Length (s), RMS and peak level (dBFS) of a mono 16-bit WAV: what tests and the operator's
    check (`yimen hall voice --measure`) look at."""
    with wave.open(io.BytesIO(data)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = array("h")
    samples.frombytes(frames)
    if not samples:
        return {"seconds": 0.0, "rms_dbfs": -120.0, "peak_dbfs": -120.0}
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    peak = max(abs(s) for s in samples)

    def db(x: float) -> float:
        return round(20 * math.log10(x / 32_768), 1) if x > 0 else -120.0

    return {"seconds": round(len(samples) / rate, 2), "rms_dbfs": db(rms), "peak_dbfs": db(peak)}

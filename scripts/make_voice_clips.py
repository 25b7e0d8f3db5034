"""Regenerate the hall voice's clips (yimen/hall/voice/*.wav) with espeak-ng's Mandarin voice.

The clips ship with the project, so a running hall needs no synthesiser: the server joins them
(yimen/hall/voice.py). Run this only to change a clip's wording or speed:

    apt-get install espeak-ng        # Debian: the offline synthesiser (1.51)
    python scripts/make_voice_clips.py

Each clip is mono 16-bit PCM at 22 050 Hz with the leading and trailing silence trimmed.
"""

import subprocess
import sys
import wave
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "yimen" / "hall" / "voice"
DIGITS = "零一二三四五六七八九"
PHRASES = {
    "qing": "请",
    "hao_dao": "号到",
    "window_tail": "号窗口办理",
    "closed": "本网点现在不在办公时间",
}
SPEED = "175"  # words per minute (espeak-ng's default)


def speak(text: str, path: Path, voice: str = "cmn") -> None:
    subprocess.run(["espeak-ng", "-v", voice, "-s", SPEED, "-w", str(path), text], check=True)
    trim(path)


def trim(path: Path, threshold: int = 300) -> None:
    with wave.open(str(path)) as w:
        params = w.getparams()
        frames = w.readframes(w.getnframes())
    samples = memoryview(frames).cast("h")
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    if loud:
        pad = params.framerate // 50  # 20 ms either side
        start, end = max(0, loud[0] - pad), min(len(samples), loud[-1] + pad)
        frames = samples[start:end].tobytes()
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(frames)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for digit, word in enumerate(DIGITS):
        speak(word, OUT / f"d{digit}.wav")
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        speak(letter, OUT / f"l{letter}.wav")  # latin letters read as in English, as halls do
    for name, text in PHRASES.items():
        speak(text, OUT / f"{name}.wav")
    print(f"clips written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

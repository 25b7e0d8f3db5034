"""QR codes (segno) for tickets, rating links, result notices and TOTP enrolment: one place for
the error-correction level and the output formats."""

from __future__ import annotations

import segno

ERROR = "m"  # medium error correction: survives a creased slip or a scratched screen


def qr_svg(data: str, *, scale: int = 4, dark: str = "#111") -> str:
    """An inline <svg> element (pages)."""
    return str(segno.make(data, error=ERROR).svg_inline(scale=scale, dark=dark))


def qr_data_uri(data: str, *, scale: int = 4, border: int = 2) -> str:
    """An SVG data: URI (PDFs)."""
    return str(segno.make(data, error=ERROR).svg_data_uri(scale=scale, border=border))

"""The two places where 网上申报 meets the 电子证照 licence library (yimen/exchange, built
separately). Until it is wired in, there is no licence library: these answer "none" and "not
pushed", and everything else works with uploads and the downloadable PDF."""

from __future__ import annotations


def electronic_licence_for(material_name: str, holder_id_hash: str) -> dict | None:
    """An electronic licence that can stand in for an uploaded material: {"ref", "title"} or
    None. Seam for yimen/exchange (电子证照库 lookup by holder and licence type)."""
    return None


def push_result(case, result, pdf: bytes) -> bool:
    """Push an electronic result (the PDF with its verification QR) to the licence library.
    Seam for yimen/exchange; returns whether it was pushed (False: not connected)."""
    return False

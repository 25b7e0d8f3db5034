"""PDF documents (notices, results) from Django templates, with embedded CJK fonts.

    from yimen.core import pdf
    data = pdf.render_pdf("cases/pdf/notice.html", {"case": case}, base_url=request.build_absolute_uri("/"))
    return pdf.pdf_response(data, "受理通知书.pdf")

Fonts: Noto Sans/Serif CJK (Debian fonts-noto-cjk). The @font-face rules point at the font files
so WeasyPrint embeds (subsets) them regardless of fontconfig; `YIMEN_CJK_FONT_DIR` overrides the
directory. Templates use `font-family: "YimenSerif"` / `"YimenSans"` (both set up here).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string

FONT_DIRS = [
    os.environ.get("YIMEN_CJK_FONT_DIR", ""),
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
]
FONT_FILES = {
    ("YimenSerif", "normal"): "NotoSerifCJK-Regular.ttc",
    ("YimenSerif", "bold"): "NotoSerifCJK-Bold.ttc",
    ("YimenSans", "normal"): "NotoSansCJK-Regular.ttc",
    ("YimenSans", "bold"): "NotoSansCJK-Bold.ttc",
}


def _find(filename: str) -> Path | None:
    for d in FONT_DIRS:
        if d and (Path(d) / filename).exists():
            return Path(d) / filename
    return None


def font_css() -> str:
    """@font-face rules for the CJK fonts that exist on this machine (fallback: system fonts)."""
    rules = []
    for (family, weight), filename in FONT_FILES.items():
        path = _find(filename)
        local = "Noto Serif CJK SC" if "Serif" in filename else "Noto Sans CJK SC"
        src = f'url("{path.as_uri()}")' if path else f'local("{local}")'
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: {src}; }}'
        )
    return "\n".join(rules)


BASE_CSS = """
@page { size: A4; margin: 22mm 20mm 20mm 20mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-family: "YimenSans"; font-size: 9pt; } }
html { font-family: "YimenSerif", "YimenSans", serif; font-size: 11.5pt; line-height: 1.6; color: #111; }
h1 { font-family: "YimenSans"; font-weight: bold; text-align: center; font-size: 20pt; margin: 0 0 4mm; }
.sub { text-align: center; font-size: 10pt; margin-bottom: 6mm; }
table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
th, td { border: 0.6pt solid #333; padding: 1.5mm 2mm; vertical-align: top; text-align: left; }
th { font-family: "YimenSans"; font-weight: bold; background: #f1f1f1; }
.sign { margin-top: 10mm; display: flex; justify-content: space-between; }
.right { text-align: right; }
.qr { float: right; width: 32mm; height: 32mm; }
.small { font-size: 9pt; color: #444; }
"""


def render_html(template: str, context: dict) -> str:
    return render_to_string(
        template, {**context, "pdf_font_css": font_css(), "pdf_base_css": BASE_CSS}
    )


def render_pdf(template: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render a Django template to PDF bytes (fonts embedded)."""
    from weasyprint import HTML

    html = render_html(template, context)
    return HTML(string=html, base_url=base_url or str(Path.cwd())).write_pdf()


def pdf_response(data: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response

"""Scanned copies of reports, made from their text: the OCR test set (tests and ``bench/ocr.py``).

A report's text (a seed, a synthetic report, a real text PDF) is laid out as a PDF, its pages are
rendered to images at a given resolution and put back into a PDF with no text layer — what a
county office's scanner produces. Optional defects, as real scans have: grain (noise), a red seal
stamped over the tables (multiplied into the page, so black text under it stays black, as ink
does), and a slight rotation (skew). Everything is deterministic for a given seed.
"""

from __future__ import annotations

import io
import math
import random
from html import escape
from typing import Any

import numpy as np

from demo.synth import html_to_pdf


def text_to_pdf(text: str) -> bytes:
    """A report's text laid out as it was printed: its table rows (in whatever layout the text has
    them — tabs, spaces, one cell a line) as ruled tables, other lines as paragraphs."""
    from monitor.report.document import Document
    from monitor.report.tables import build_rows

    rows = {}
    for row in build_rows(Document("text", text=text)):
        cells = [c.text for c in row.label_cells] + [v.text for v in row.values]
        numbered = any(v.text for v in row.values) and len("".join(c.text for c in row.label_cells)) <= 60
        header = row.layout in ("tab", "cells") and len(row.label_cells) >= 2
        if numbered or header:
            rows[row.line] = (row.end_line, cells)
    parts: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            width = max(len(r) for r in table)
            parts.append("<table>" + "".join(
                "<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in r + [""] * (width - len(r))) + "</tr>"
                for r in table) + "</table>")
            table.clear()

    lines = text.split("\n")
    n = 1
    while n <= len(lines):
        if n in rows:
            end, cells = rows[n]
            table.append(cells)
            n = end + 1
            continue
        line = lines[n - 1].strip()
        if line:
            flush()
            parts.append(f"<p>{escape(line)}</p>")
        n += 1
    flush()
    return html_to_pdf("".join(parts))


def page_images(pdf: bytes, dpi: int = 200, skew: float = 0.0, seal: bool = False, noise: float = 0.0,
                seed: int = 0, pages: set[int] | None = None) -> list[np.ndarray]:
    """The PDF's pages as scanned images (RGB arrays); ``pages``: only these (0-based)."""
    import pymupdf

    rng = random.Random(seed)
    out = []
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for n, page in enumerate(doc):
            if pages is not None and n not in pages:
                continue
            pix = page.get_pixmap(dpi=dpi)
            image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
            image = image.astype(np.float32)
            if seal and n == 0:
                image = _stamp(image, rng)
            if noise:
                gen = np.random.default_rng(seed + n)
                image = image + gen.normal(0, noise, image.shape)
            image = np.clip(image, 0, 255).astype(np.uint8)
            if skew:
                image = _rotate(image, skew if n % 2 == 0 else -skew)
            out.append(image)
    return out


def scan(pdf: bytes, dpi: int = 200, **defects: Any) -> bytes:
    """An image-only PDF of the PDF's pages (see :func:`page_images` for the defects)."""
    return images_to_pdf(page_images(pdf, dpi, **defects), dpi)


def images_to_pdf(images: list[np.ndarray], dpi: int = 200) -> bytes:
    import pymupdf

    out = pymupdf.open()
    for image in images:
        height, width = image.shape[:2]
        page = out.new_page(width=width * 72 / dpi, height=height * 72 / dpi)
        page.insert_image(page.rect, stream=png(image))
    return out.tobytes(garbage=3, deflate=True, no_new_id=True)


def mixed(pdf: bytes, scanned: set[int], dpi: int = 200) -> bytes:
    """The PDF with the pages in ``scanned`` (0-based) replaced by their scans: text and scans mixed."""
    import pymupdf

    images = dict(zip(sorted(scanned), page_images(pdf, dpi, pages=scanned), strict=True))
    with pymupdf.open(stream=pdf, filetype="pdf") as src:
        out = pymupdf.open()
        for n, page in enumerate(src):
            if n in images:
                new = out.new_page(width=page.rect.width, height=page.rect.height)
                new.insert_image(new.rect, stream=png(images[n]))
            else:
                out.insert_pdf(src, from_page=n, to_page=n)
        return out.tobytes(garbage=3, deflate=True, no_new_id=True)


def png(image: np.ndarray) -> bytes:
    import pymupdf

    height, width = image.shape[:2]
    samples = np.ascontiguousarray(image[:, :, :3], dtype=np.uint8).tobytes()
    return pymupdf.Pixmap(pymupdf.csRGB, width, height, samples, False).tobytes("png")


def image_docx(images: list[np.ndarray]) -> bytes:
    """A DOCX that is only pictures of its pages (a scan pasted into Word)."""
    import docx
    from docx.shared import Cm

    document = docx.Document()
    for image in images:
        document.add_picture(io.BytesIO(png(image)), width=Cm(16))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _stamp(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A red seal (ring, star and ring of text-like marks) multiplied into the page over its middle."""
    height, width = image.shape[:2]
    radius = int(min(width, height) * 0.12)
    cy = int(height * rng.uniform(0.45, 0.6))
    cx = int(width * rng.uniform(0.55, 0.7))
    ys, xs = np.ogrid[:height, :width]
    dist = np.sqrt((ys - cy) ** 2 + (xs - cx) ** 2)
    ink = (np.abs(dist - radius) < radius * 0.06) | (np.abs(dist - radius * 0.78) < radius * 0.02)
    angle = np.arctan2(ys - cy, xs - cx)
    star = dist < radius * 0.3 * (0.55 + 0.45 * np.cos(5 * angle))
    ink |= star
    red = np.array([215.0, 40.0, 45.0]) / 255.0
    alpha = 0.85
    out = image.copy()
    out[ink] = out[ink] * (1 - alpha) + out[ink] * red * alpha
    return out


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    from PIL import Image

    rotated = Image.fromarray(image).rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True,
                                            fillcolor=(255, 255, 255))
    return np.asarray(rotated)


def cell_accuracy(text_tables: dict[str, Any], ocr_tables: dict[str, Any]) -> tuple[int, int]:
    """Cells of the text version's tables read exactly the same by OCR: (equal, all)."""
    equal = total = 0
    for name in ("t2", "t3", "t4"):
        ocr_rows = {row["key"]: row for row in (ocr_tables.get(name) or {}).get("rows", [])}
        for row in (text_tables.get(name) or {}).get("rows", []):
            other = ocr_rows.get(row["key"], {}).get("cells", [])
            for k, cell in enumerate(row["cells"]):
                total += 1
                equal += k < len(other) and other[k]["raw"] == cell["raw"]
    return equal, total


def skew_degrees(seed: int) -> float:
    """A skew between 1 and 3 degrees, either way (deterministic)."""
    return math.copysign(random.Random(seed).uniform(1.0, 3.0), 1 if seed % 2 else -1)

"""OCR of scanned pages: text and table rows rebuilt from the boxes an OCR engine reads.

Many county and township reports are published as scans (a stamped copy printed and scanned, or
photographed pages). The engine is RapidOCR on ONNX Runtime: its PP-OCR detection and recognition
models ship inside the ``rapidocr`` wheel and are loaded from there by path, so nothing is ever
fetched from a model hub (README, *Reading scans*, says why this engine and not Tesseract).

A page image goes through the engine once with the red ink taken out (a seal stamped over the
table or the signature turns white when the page is read through its red channel, while black
text stays black); a page with much red ink is read a second time as it is, for text printed in
red (a 红头 title), keeping only what the first pass did not see. Each box comes back as a
quadrilateral with its text and confidence; the page's skew is the median slant of its wide
boxes, and the boxes are turned back by it before they are laid out in lines with
:func:`monitor.report.readers.pdf.lines_with_spans` — the same layout the PDF reader gives its
character boxes, so a table row reads ``label\\t0\\t0 …`` and every table layout the parser
knows works on scans. Each line keeps, per character span, the confidence of the box it came from
(:attr:`Document.confidence`).

Bounded: pages per document, pixels per page (larger pages are read at a lower resolution) and a
time budget per document; a scan over the budget gets no text and says why.
"""

from __future__ import annotations

import io
import math
import os
import re
import statistics
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OCR_DPI = 200  # PDF pages are rendered at this resolution for OCR
MAX_PAGES = 60  # pages OCR reads in one document
MAX_PIXELS = 16_000_000  # a page image larger than this is read at a lower resolution (A4 at 300 dpi is 8.7 M)
TIME_BUDGET = 240.0  # seconds of OCR per document
MIN_PAGE_CHARS = 20  # a PDF page with fewer characters of its own text, and an image, is a scan
RED_SHARE = 0.002  # a page with at least this share of red pixels is read a second time as it is
ENGINE_NAME = "RapidOCR (PP-OCR, ONNX Runtime)"
# Characters the recogniser reads for a digit in a box of a few digits ("2 4 ε 6": ε for 3). Such a
# box is read as the number, with its confidence capped at GUESSED: shown as doubtful, never trusted.
DIGIT_LOOKALIKES = str.maketrans({"ε": "3", "з": "3", "З": "3", "O": "0", "o": "0", "〇": "0", "D": "0",
                                  "l": "1", "I": "1", "|": "1", "丨": "1", "S": "5", "s": "5", "B": "8",
                                  "Z": "2", "z": "2", "q": "9", "g": "9", "b": "6", "G": "6"})
GUESSED = 0.5

_MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
           "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}


class OcrUnavailable(RuntimeError):
    """No OCR engine can run here (the package or its bundled models are missing)."""


@dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    def as_tuple(self) -> tuple[float, float, float, float, str, float]:
        return (self.x0, self.y0, self.x1, self.y1, self.text, self.score)


@dataclass
class PageReading:
    """What OCR read on one page: its lines and, per line, character spans with their confidence."""

    lines: list[str] = field(default_factory=list)
    spans: list[list[tuple[int, int, float]]] = field(default_factory=list)
    skew: float = 0.0  # degrees the page was turned by


class Budget:
    """The time one document may spend in OCR; ``spent()`` says when it has run out."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = TIME_BUDGET if seconds is None else seconds
        self.started = time.monotonic()

    def spent(self) -> bool:
        return time.monotonic() - self.started > self.seconds


# --------------------------------------------------------------------------- the engine

_engine: Any = None
_engine_lock = threading.Lock()


def engine() -> Any:
    """The OCR engine, loaded once per process from the models inside the package."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _load_engine()
        return _engine


def _load_engine() -> Any:
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError as exc:  # the setup script installs it; without it scans are said to be unread
        raise OcrUnavailable(f"未安装 OCR 引擎（{exc}）") from exc
    models = Path(rapidocr.__file__).parent / "models"
    paths = {stage: models / name for stage, name in _MODELS.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:  # never let the package fetch them from a hub instead
        raise OcrUnavailable(f"OCR 模型文件缺失：{', '.join(missing)}")
    threads = int(os.environ.get("NIANBAO_OCR_THREADS", "0")) or min(2, os.cpu_count() or 1)
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": True,  # a box upside down (a page scanned the wrong way round) is turned
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    for stage, path in paths.items():
        params[f"{stage}.model_path"] = str(path)
    return RapidOCR(params=params)


def available() -> bool:
    try:
        engine()
    except OcrUnavailable:
        return False
    return True


# --------------------------------------------------------------------------- a page image


def read_image(rgb: np.ndarray) -> PageReading:
    """OCR of one page image (height × width × 3, RGB, uint8): lines and their confidence."""
    boxes = _boxes(_without_red(rgb))
    if _red_share(rgb) >= RED_SHARE:
        seen = list(boxes)
        for extra in _boxes(rgb):  # red text the first pass could not see (a red title)
            if not any(_overlap(extra, b) > 0.3 for b in seen):
                boxes.append(extra)
    return layout(boxes)


def layout(quads: list[tuple[np.ndarray, str, float]]) -> PageReading:
    """Lines from OCR boxes (4 corner points each, clockwise from top-left), the skew taken out."""
    from monitor.report.readers.pdf import lines_with_spans

    if not quads:
        return PageReading()
    angle = _skew(quads)
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for points, text, score in quads:
        text = text.strip()
        if not text:
            continue
        text, score = _digits(text, score)
        xs = [x * cos - y * sin for x, y in points]
        ys = [x * sin + y * cos for x, y in points]
        box = Box(min(xs), min(ys), max(xs), max(ys), text, float(score))
        boxes.extend(b.as_tuple() for b in _label_and_number(box))
    reading = PageReading(skew=math.degrees(angle))
    for line, spans in lines_with_spans(boxes, scanned=True):
        reading.lines.append(line)
        reading.spans.append(spans)
    return reading


def _digits(text: str, score: float) -> tuple[str, float]:
    """A short box of digits with a look-alike letter in it, read as the number it shows."""
    if len(text) > 6 or (not any(ch.isdigit() for ch in text) and len(text) > 1):
        return text, score
    fixed = text.translate(DIGIT_LOOKALIKES)
    if fixed != text and fixed.isdigit():
        return fixed, min(score, GUESSED)
    return text, score


_LABEL_NUMBER = re.compile(r"^(?P<label>.*[\u4e00-\u9fff）)])\s*(?P<number>\d+(?:\.\d+)?)$")


def _label_and_number(box: Box) -> list[Box]:
    """A row label and its number read as one box (行政许可0: a narrow cell puts them closer than the
    detector separates runs) as two boxes, a gap between them."""
    m = _LABEL_NUMBER.match(box.text)
    if not m or len(m["label"]) > 40:
        return [box]
    width = (box.x1 - box.x0) / max(len(box.text), 1)
    cut = box.x1 - width * len(m["number"]) * 0.6  # digits are narrower than characters
    return [Box(box.x0, box.y0, cut - width, box.y1, m["label"], box.score),
            Box(cut, box.y0, box.x1, box.y1, m["number"], box.score)]


def _boxes(image: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
    out = engine()(np.ascontiguousarray(image[:, :, ::-1]))  # the engine takes BGR
    if out is None or getattr(out, "boxes", None) is None:
        return []
    return [(np.asarray(b, dtype=float), str(t), float(s)) for b, t, s in zip(out.boxes, out.txts, out.scores,
                                                                                strict=False)]


def _skew(quads: list[tuple[np.ndarray, str, float]]) -> float:
    """The page's slant (radians): the median slope of the top edges of its wide boxes."""
    angles = []
    for points, _, _ in quads:
        (x0, y0), (x1, y1) = points[0], points[1]
        width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(*(points[3] - points[0]))
        if width > 3 * max(height, 1.0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    if len(angles) < 3:
        return 0.0
    angle = statistics.median(angles)
    return angle if abs(angle) <= math.radians(15) else 0.0  # beyond that it is not skew


def _red(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[:, :, k].astype(np.int16) for k in range(3))
    return (r > 140) & (r - g > 60) & (r - b > 60)


def _red_share(rgb: np.ndarray) -> float:
    return float(_red(rgb).mean()) if rgb.size else 0.0


def _without_red(rgb: np.ndarray) -> np.ndarray:
    """The page with red ink turned white: the red channel as grey (black stays black)."""
    if not _red(rgb).any():
        return rgb
    grey = rgb[:, :, 0]
    return np.stack([grey, grey, grey], axis=2)


def _overlap(a: tuple[np.ndarray, str, float], b: tuple[np.ndarray, str, float]) -> float:
    """Intersection over the smaller box's area, of two boxes' bounding rectangles."""
    ax0, ay0 = a[0].min(axis=0)
    ax1, ay1 = a[0].max(axis=0)
    bx0, by0 = b[0].min(axis=0)
    bx1, by1 = b[0].max(axis=0)
    w, h = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    return float(w * h / smaller) if smaller > 0 else 0.0


# --------------------------------------------------------------------------- pixmaps


def pixmap_rgb(pix: Any) -> np.ndarray:
    """A PyMuPDF pixmap as an RGB array (grey and CMYK converted, alpha dropped)."""
    import pymupdf

    if pix.colorspace is None or pix.colorspace.n != 3 or pix.alpha:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix, 0)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).copy()


def render_page(page: Any, dpi: int = OCR_DPI) -> np.ndarray:
    """A PDF page as an RGB image for OCR, at ``dpi`` or lower when it would exceed MAX_PIXELS."""
    width, height = page.rect.width / 72, page.rect.height / 72
    dpi = min(dpi, int(math.sqrt(MAX_PIXELS / max(width * height, 1e-6))))
    return pixmap_rgb(page.get_pixmap(dpi=max(dpi, 50)))


def image_pages(data: bytes) -> list[np.ndarray] | str:
    """The pages of an image file (each frame of a TIFF) as RGB arrays, or why it cannot be read."""
    import pymupdf

    declared = _declared_pixels(data)
    if declared > MAX_PIXELS * 8:  # decoding it would take gigabytes: refused before decoding
        return f"图片尺寸过大（{declared / 1e6:.0f} 百万像素），未识别"
    try:
        doc = pymupdf.open(stream=data)
        first = pymupdf.Pixmap(data)  # the first frame at its own resolution
    except Exception as exc:  # a corrupt image is a finding, not a crash
        return f"图片无法解析（{type(exc).__name__}）"
    with doc:
        if doc.page_count > MAX_PAGES:
            return f"图片共 {doc.page_count} 页，超过 OCR 上限 {MAX_PAGES} 页"
        if doc.page_count == 1 and first.width * first.height <= MAX_PIXELS:
            return [pixmap_rgb(first)]
        # an image opened as a document is a page sized by the image's own resolution: render
        # every frame at that resolution (lower when too large)
        return [render_page(page, first.xres or OCR_DPI) for page in doc]


# --------------------------------------------------------------------------- documents


class Pages:
    """A document's text assembled page by page, from its own text or from OCR."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.confidence: dict[int, list[tuple[int, int, float]]] = {}
        self.text_pages = 0
        self.ocr_pages = 0

    def add_text(self, lines: list[str]) -> None:
        self.lines.extend(lines)
        self.lines.append("")
        self.text_pages += 1

    def add_reading(self, reading: PageReading) -> None:
        for line, spans in zip(reading.lines, reading.spans, strict=True):
            self.confidence[len(self.lines)] = spans
            self.lines.append(line)
        self.lines.append("")
        self.ocr_pages += 1

    @property
    def source(self) -> str:
        if self.ocr_pages and self.text_pages:
            return "mixed"
        return "ocr" if self.ocr_pages else "text"


def read_images(fmt: str, images: list[np.ndarray], budget: Budget | None = None) -> Pages | str:
    """OCR of page images in order; the pages read, or why they could not be."""
    budget = budget or Budget()
    pages = Pages()
    try:
        engine()
    except OcrUnavailable as exc:
        return f"扫描件，{exc}，无法识别文字"
    for n, image in enumerate(images[:MAX_PAGES], 1):
        if budget.spent():
            return over_budget(n - 1, len(images), budget)
        pages.add_reading(read_image(image))
    return pages


def over_budget(done: int, total: int, budget: Budget) -> str:
    return (f"扫描件 OCR 超出时间预算（{budget.seconds:.0f} 秒内识别了 {total} 页中的 {done} 页），"
            f"未核验")


def text_of(pages: Pages) -> tuple[str, dict[int, list[tuple[int, int, float]]]]:
    """The document's text and its confidence map, trailing blank lines dropped."""
    lines = list(pages.lines)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines), {k: v for k, v in pages.confidence.items() if k < len(lines)}


def _declared_pixels(data: bytes) -> int:
    """The pixels an image file says it has, read from its header alone (0 when unknown)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.width * image.height
    except Image.DecompressionBombError:
        return 2 * Image.MAX_IMAGE_PIXELS + 1  # PIL refuses to even describe it
    except Exception:  # not an image PIL knows: PyMuPDF says what it can
        return 0


def scanned_document(fmt: str, images: list[np.ndarray] | str) -> Any:
    """A document of page images (an image file, a DOCX of pictures) read by OCR."""
    from monitor.report.document import Document

    if isinstance(images, str):
        return Document(fmt, no_text_reason=images, source="ocr")
    if len(images) > MAX_PAGES:
        return Document(fmt, no_text_reason=f"扫描件共 {len(images)} 页，超过 OCR 上限 {MAX_PAGES} 页，未识别",
                        source="ocr")
    pages = read_images(fmt, images)
    if isinstance(pages, str):
        return Document(fmt, no_text_reason=pages, source="ocr")
    text, confidence = text_of(pages)
    doc = Document(fmt, text=text, source="ocr", confidence=confidence)
    if doc.unreadable_reason:
        doc.no_text_reason = "扫描件，OCR 未识别出文字"
    return doc

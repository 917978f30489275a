"""OCR engines compared on scanned reports: seconds per page and table cells read exactly.

    .venv/bin/python bench/ocr.py [--dpi 150 200 300] [--engines rapidocr tesseract] [--quick]

The test set is made here, as the tests make it (``demo/scans.py``): synthetic reports, the five
seed reports and the real text PDFs of ``tests/fixtures/real/reports``, laid out as PDFs, their pages
rendered at each resolution with grain, and — on every other document — a red seal over the
tables and 1–3° of skew. Each engine reads every page; its boxes go through the same layout
(:func:`monitor.report.readers.ocr.layout`) and the same judge as a text document, so what
differs is only what the engine read. For each engine and resolution it prints seconds per page
(one thread, the same for both engines), the share of table cells read exactly as the text has
them, documents whose finding codes equal the text's, and errors the text does not have (false
errors an office would receive). The truth is a text PDF's own text, or a seed as analysed from it.

Engines: RapidOCR (PP-OCR models on ONNX Runtime, the one Nianbao uses) and Tesseract 5 with
Debian's ``chi_sim`` data (``tesseract`` on the PATH; skipped, and said, when it is not).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("NIANBAO_OCR_THREADS", "1")  # one thread per engine: a fair per-page time
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from demo import scans  # noqa: E402
from demo.synth import render_pdf, sample_report  # noqa: E402
from monitor.report.analysis import analyze_document, analyze_text  # noqa: E402
from monitor.report.document import Document  # noqa: E402
from monitor.report.model import Report  # noqa: E402
from monitor.report.readers import ocr, read_document  # noqa: E402

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
REAL = ROOT / "tests" / "fixtures" / "real" / "reports"


def test_set(quick: bool) -> list[tuple[str, bytes, Report]]:
    """(name, text PDF, the truth): a PDF's own text read as text, a seed's as analysed from it."""
    docs = []
    for k in range(1, 3 if quick else 5):
        pdf = render_pdf(sample_report(k, agency="青川县教育局"))
        docs.append((f"synthetic-{k}", pdf, analyze_document(read_document(pdf))))
    for p in sorted(SEEDS.glob("*.txt"))[: 2 if quick else None]:
        text = p.read_text(encoding="utf-8")
        docs.append((f"seed-{p.name[:3]}", scans.text_to_pdf(text), analyze_text(text)))
    for p in sorted(REAL.glob("*.pdf"))[: 1 if quick else None]:
        docs.append((p.stem, p.read_bytes(), analyze_document(read_document(p.read_bytes()))))
    return docs


def rapidocr_page(image) -> ocr.PageReading:
    return ocr.read_image(image)


def tesseract_page(image) -> ocr.PageReading:
    """Tesseract's words (TSV) joined into runs as its own lines group them (words closer than half
    a character are one run, as RapidOCR boxes a run), then the same layout as RapidOCR's."""
    out = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", "4", "tsv"],
                         input=scans.png(ocr._without_red(image)), capture_output=True, check=True).stdout
    runs: list[list] = []  # [line id, x0, y0, x1, y1, text, confidences]
    for line in out.decode("utf-8", "replace").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or not cols[11].strip() or float(cols[10]) < 0:
            continue
        x, y, w, h = (int(c) for c in cols[6:10])
        ident = tuple(cols[1:5])  # page, block, paragraph, line
        last = runs[-1] if runs else None
        if last and last[0] == ident and x - last[3] < 0.5 * max(h, last[4] - last[2]):
            last[3], last[2], last[4] = x + w, min(last[2], y), max(last[4], y + h)
            last[5] += cols[11]
            last[6].append(float(cols[10]) / 100)
        else:
            runs.append([ident, x, y, x + w, y + h, cols[11], [float(cols[10]) / 100]])
    quads = [(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float), text, min(conf))
             for _, x0, y0, x1, y1, text, conf in runs]
    return ocr.layout(quads)


ENGINES = {"rapidocr": rapidocr_page, "tesseract": tesseract_page}


def read(engine, images) -> tuple[Document, float]:
    pages = ocr.Pages()
    started = time.perf_counter()
    for image in images:
        pages.add_reading(engine(image))
    seconds = time.perf_counter() - started
    text, confidence = ocr.text_of(pages)
    return Document("pdf", text=text, source="ocr", confidence=confidence), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi", type=int, nargs="+", default=[150, 200, 300])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--quick", action="store_true", help="a few documents only")
    args = parser.parse_args()
    engines = [e for e in args.engines if e != "tesseract" or shutil.which("tesseract")]
    print(f"# OCR benchmark — {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; one thread per engine")
    if "tesseract" in args.engines and "tesseract" not in engines:
        print("# tesseract is not installed (scripts/setup.sh installs it): RapidOCR only")
    if "tesseract" in engines:
        version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"# {version}, chi_sim, --psm 4 (word boxes from its TSV)")
    docs = test_set(args.quick)
    print(f"# {len(docs)} documents: {', '.join(name for name, _, _ in docs)}; defects on every other one "
          f"(red seal over the tables, 1–3° skew), grain on all\n")
    print(f"{'engine':<10}{'dpi':>5}{'pages':>7}{'s/page':>9}{'cells exact':>14}{'same findings':>15}"
          f"{'false errors':>14}")
    for engine in engines:
        for dpi in args.dpi:
            pages = seconds = equal = total = same = false_errors = 0
            for n, (_name, pdf, text) in enumerate(docs):
                defects = {"seal": True, "skew": scans.skew_degrees(n)} if n % 2 else {}
                images = scans.page_images(pdf, dpi, noise=5, seed=n, **defects)
                doc, spent = read(ENGINES[engine], images)
                report = analyze_document(doc)
                pages += len(images)
                seconds += spent
                e, t = scans.cell_accuracy(text.tables.to_json(), report.tables.to_json())
                equal, total = equal + e, total + t
                same += sorted(f.code for f in report.findings) == sorted(f.code for f in text.findings)
                false_errors += len({f.code for f in report.findings if f.severity == "error"}
                                    - {f.code for f in text.findings if f.severity == "error"})
            print(f"{engine:<10}{dpi:>5}{pages:>7}{seconds / pages:>9.2f}{100 * equal / max(total, 1):>13.1f}%"
                  f"{same:>10}/{len(docs):<4}{false_errors:>14}", flush=True)


if __name__ == "__main__":
    main()

"""Analysis speed: reports per second per input format, and PyMuPDF against pdfplumber.

    .venv/bin/python bench/analyze.py [--reports 200]

Generates synthetic reports (consistent non-zero tables, realistic prose) and renders each to
every format the readers take, then times read + judge per format. The PDF part extracts text
from the same PDFs with PyMuPDF (our reader) and with pdfplumber, and prints the speed ratio.
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.synth import RENDERERS, SynthReport, consistent_tables
from monitor.report.analysis import analyze_document
from monitor.report.readers import read_document
from monitor.report.readers.pdf import read_pdf

EXTENSIONS = {"html": "r.html", "docx": "r.docx", "pdf": "r.pdf", "ofd": "r.ofd"}


def corpus(n: int) -> list[SynthReport]:
    rng = random.Random(2024)
    agencies = ["教育局", "民政局", "商务局", "财政局", "自然资源局", "城关镇人民政府", "人民政府"]
    out = []
    for i in range(n):
        fmt = "2021" if i % 4 else "2019"
        year = rng.randint(2021, 2024) if fmt == "2021" else rng.choice([2019, 2020])
        agency = "青川县" + agencies[i % len(agencies)]
        out.append(SynthReport(agency, year, consistent_tables(rng, fmt), jurisdiction="青川县"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args()
    reports = corpus(args.reports)
    print(f"# analyze benchmark — {args.reports} reports per format, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"{'format':<12}{'reports/s':>12}{'ms/report':>12}{'findings':>10}")
    pdfs: list[bytes] = []
    for name, render in RENDERERS.items():
        blobs = [render(r) for r in reports]
        if name == "pdf":
            pdfs = blobs
        findings = 0
        start = time.perf_counter()
        for blob in blobs:
            findings += len(analyze_document(read_document(blob, filename=EXTENSIONS.get(name, "r.txt"))).findings)
        elapsed = time.perf_counter() - start
        print(f"{name:<12}{len(blobs) / elapsed:>12.1f}{1000 * elapsed / len(blobs):>12.2f}{findings:>10}")

    import pdfplumber

    sample = pdfs[: min(len(pdfs), 60)]
    start = time.perf_counter()
    for blob in sample:
        read_pdf(blob)
    mupdf = time.perf_counter() - start
    start = time.perf_counter()
    for blob in sample:
        with pdfplumber.open(io.BytesIO(blob)) as pdf:
            "\n".join(page.extract_text() or "" for page in pdf.pages)
    plumber = time.perf_counter() - start
    print(f"\nPDF text extraction over {len(sample)} PDFs: PyMuPDF {1000 * mupdf / len(sample):.1f} ms/PDF, "
          f"pdfplumber {1000 * plumber / len(sample):.1f} ms/PDF — PyMuPDF is {plumber / mupdf:.1f}x faster")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages, then a virtualenv with Nianbao.
# Sourced by scripts/demo and scripts/test; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# antiword/catdoc: DOC and WPS text; chromium: the browser Playwright drives (its own download is
# not available everywhere, see crawler/browser.py); a CJK font for its screenshots; redis-server
# for distributed mode and its tests; Tesseract with its simplified-Chinese data only for
# bench/ocr.py, which compares it with the OCR engine Nianbao uses (RapidOCR, a Python package).
SYSTEM_PACKAGES=(antiword catdoc chromium fonts-wqy-microhei redis-server tesseract-ocr tesseract-ocr-chi-sim)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    echo "setup: please install ${missing[*]} (DOC/WPS text, browser, distributed mode)" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
# a .venv left half-made (an interrupted first run, a Python upgraded underneath) is made again
if [ -e .venv ] && ! .venv/bin/python -c "import pip" >/dev/null 2>&1; then
  echo "setup: .venv is incomplete; making it again" >&2
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    echo "setup: $PYTHON has no venv module; installing python3-venv" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -q python3-venv >/dev/null 2>&1 \
      || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q python3-venv >/dev/null; }
  fi
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.nianbao-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv (about 730 MB; a few minutes the first time)" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --progress-bar off -e '.[test]'
  touch "$stamp"
  echo "setup: done" >&2
fi

"""Word 97-2003 (.doc) and WPS files through whichever converter the machine has.

There is no maintained pure-Python reader for the binary Word format. We try ``antiword``,
``catdoc`` and LibreOffice in turn; with none installed the document gets a NO_TEXT finding
naming what to install, rather than a silent empty text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from monitor.report.document import Document
from monitor.report.readers.text import decode_bytes, normalise_newlines
from monitor.report.textutil import clean_artifacts

CONVERTERS = ("antiword", "catdoc", "soffice", "libreoffice")
TIMEOUT = 60


def available_converter(search_path: str | None = None) -> str | None:
    for name in CONVERTERS:
        found = shutil.which(name, path=search_path)
        if found:
            return found
    return None


def read_legacy(data: bytes, fmt: str, search_path: str | None = None) -> Document:
    tool = available_converter(search_path)
    kind = "WPS" if fmt == "wps" else "DOC"
    if tool is None:
        return Document(fmt, no_text_reason=f"本机未安装 {kind} 转换工具（antiword、catdoc 或 LibreOffice），无法提取文字")
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        src = Path(tmp) / f"input.{fmt if fmt == 'doc' else 'wps'}"
        src.write_bytes(data)
        name = Path(tool).name
        try:
            if name == "antiword":
                out = subprocess.run([tool, "-m", "UTF-8.txt", "-w", "0", str(src)], capture_output=True,
                                     timeout=TIMEOUT, check=True).stdout
            elif name == "catdoc":
                out = subprocess.run([tool, "-d", "utf-8", "-w", str(src)], capture_output=True,
                                     timeout=TIMEOUT, check=True).stdout
            else:
                env = dict(os.environ, HOME=tmp)
                subprocess.run([tool, "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp,
                                str(src)], capture_output=True, timeout=TIMEOUT * 3, check=True, env=env)
                out = (Path(tmp) / "input.txt").read_bytes()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as exc:
            return Document(fmt, no_text_reason=f"{kind} 文件转换失败（{name}: {type(exc).__name__}）")
    text = clean_artifacts(normalise_newlines(decode_bytes(out)))
    return Document(fmt, text=text)

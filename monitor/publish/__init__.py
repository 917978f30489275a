"""Publishing: the compliance digests mailed to offices and the static site anyone can browse.

Both render Jinja2 templates from ``templates/``, shipped inside the ``monitor`` package as package
data (``monitor/templates`` is that folder in a checkout), so a plain ``pip install .`` keeps them.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

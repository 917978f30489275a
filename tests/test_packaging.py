"""The package as pip installs it (not editable): templates, seeds and the demo world come along."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_the_wheel_carries_templates_and_the_demo_and_runs_from_them(tmp_path) -> None:
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "data", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("nianbao-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("monitor/templates/site/report.html.j2", "monitor/templates/email/digest.html.j2",
                     "monitor/templates/site/assets/site.css", "demo/seeds/000_35b904fab2bdfdd3.txt",
                     "demo/world.py", "monitor/py.typed"):
        assert required in names, required
    assert not any(n.startswith("tests/") for n in names)
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    probe = ("import monitor, demo.world, monitor.publish as p; "
             f"assert monitor.__file__.startswith({str(site)!r}), monitor.__file__; "
             "assert (p.TEMPLATES / 'site' / 'report.html.j2').is_file(); "
             "assert len(list(demo.world.SEED_DIR.glob('*.txt'))) == 5; "
             "from monitor.publish.site import _env; _env().get_template('site/report.html.j2')")
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=tmp_path, env={"PYTHONPATH": str(site)},
                   timeout=120)

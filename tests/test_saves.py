"""Nothing lost: a save killed half-way leaves the previous file whole (issue 15, item 5).

Each test saves a first version in this process, then starts a child process that saves a
second version of the same file and is killed with SIGKILL in the middle of writing it
(its writer is made slow in the child: it stops after part of the file is written, says so
on its output and waits). The previous file must still be there, byte for byte, and open;
nothing half-written may be under the file's name. A writer that wrote straight to the
file's name fails these tests (checked by making :func:`planning.io.atomic_path` yield the
final path itself).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pyogrio
import pytest

import planning
from planning.report import excel_report, results_gpkg

from .conftest import ROOT
from .helpers import project_on_line

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")

READY = "WRITING"


def tiny() -> planning.Project:
    """Two schools on a road, one village between them (small: each save takes well under a second)."""
    return project_on_line({"V1": {"x": 0, "primary": 10, "junior": 5}, "V2": {"x": 600, "primary": 20, "junior": 8}},
                           {"S1": {"x": 100, "type": "nine_year"}, "S2": {"x": 900, "type": "nine_year"}})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Made slow in the child: each replaces a writer by one that writes part of the file, says
#: READY with the folder's files on its output, and waits to be killed.
SLOW_GPKG = """
import geopandas
write = geopandas.GeoDataFrame.to_file
def slow(self, path, *args, **kwargs):
    write(self, path, *args, **kwargs)  # one layer written, the others not yet
    print("WRITING", path, flush=True)
    time.sleep(120)
geopandas.GeoDataFrame.to_file = slow
"""
SLOW_TEXT = """
import pathlib
def slow(self, text, *args, **kwargs):
    with open(self, "w", encoding="utf-8") as out:
        out.write(text[: len(text) // 2])  # half of the file
        out.flush()
        os.fsync(out.fileno())
    print("WRITING", self, flush=True)
    time.sleep(120)
pathlib.Path.write_text = slow
"""
SLOW_EXCEL = """
import pandas
write = pandas.DataFrame.to_excel
def slow(self, writer, *args, **kwargs):
    write(self, writer, *args, **kwargs)
    writer.book.save(writer._handles.handle)  # the sheets so far on disk, the workbook unfinished
    writer._handles.handle.flush()
    print("WRITING", writer._handles.handle.name, flush=True)
    time.sleep(120)
pandas.DataFrame.to_excel = slow
"""


def kill_mid_save(slow: str, save: str, *, timeout: float = 120.0) -> Path:
    """Run ``save`` (Python, with ``tiny()`` and the ``target`` path given) in a child whose
    writer is ``slow``; SIGKILL it once it has written part of the file. Returns the path
    the child was writing to (a file that must not be the target)."""
    code = "import os, sys, time\n" + textwrap.dedent(slow) + "\nfrom tests.test_saves import *\n" + textwrap.dedent(save)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        started = time.monotonic()
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the child has written part of the file
        assert line.startswith(READY), (line, child.stderr.read() if child.poll() is not None else "")
        assert time.monotonic() - started < timeout
        writing = Path(line.split(maxsplit=1)[1].strip())
        assert writing.exists() and writing.stat().st_size > 0  # part of the new file is on disk
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    return writing


def test_a_project_file_survives_a_kill_during_its_save(tmp_path):
    target = tmp_path / "county.gpkg"
    project = tiny()
    first = planning.Scenario(project, "first").close("S2")
    planning.save_project(target, project, scenarios=[first], results=[first.evaluate()])
    before = digest(target)
    writing = kill_mid_save(SLOW_GPKG, f"""
        project = tiny()
        second = planning.Scenario(project, "second").close("S1")
        planning.save_project({str(target)!r}, project, scenarios=[second], results=[second.evaluate()])
        """)
    assert digest(target) == before
    assert writing != target and writing.parent == target.parent  # the new file was beside it, not on it
    opened = planning.open_project(target)
    assert list(opened.scenarios) == ["first"] and [e.op for e in opened.scenarios["first"].edits] == ["close"]
    assert list(tmp_path.glob("county*")) == [target]  # no half file under the name, nor a look-alike


def test_a_scenario_file_survives_a_kill_during_its_save(tmp_path):
    target = tmp_path / "plan.yaml"
    project = tiny()
    planning.Scenario(project, "first").close("S2").to_file(target)
    before = target.read_text(encoding="utf-8")
    writing = kill_mid_save(SLOW_TEXT, f"""
        plan = planning.Scenario(tiny(), "a second plan with a longer name").close("S1").expand("S2", capacity=50)
        plan.to_file({str(target)!r})
        """)
    assert target.read_text(encoding="utf-8") == before
    assert writing != target and writing.read_text(encoding="utf-8")  # half of the new plan is in the temp file
    assert planning.Scenario.from_file(target, project).name == "first"


def test_an_excel_export_survives_a_kill_during_its_save(tmp_path):
    target = tmp_path / "report.xlsx"
    project = tiny()
    today = planning.baseline(project)
    excel_report(project, [today, planning.Scenario(project, "first").close("S2").evaluate()], target, lang="en")
    before = digest(target)
    writing = kill_mid_save(SLOW_EXCEL, f"""
        project = tiny()
        plans = [planning.baseline(project), planning.Scenario(project, "second").close("S1").evaluate()]
        from planning.report import excel_report
        excel_report(project, plans, {str(target)!r}, lang="zh")
        """)
    assert digest(target) == before
    assert writing != target
    book = openpyxl.load_workbook(target)
    assert any(book[s]["A1"].value and "first" in str(book[s]["A1"].value) for s in book.sheetnames)


def test_a_geopackage_export_survives_a_kill_during_its_save(tmp_path):
    target = tmp_path / "results.gpkg"
    project = tiny()
    results_gpkg(project, [planning.Scenario(project, "first").close("S2").evaluate()], target)
    before = digest(target)
    writing = kill_mid_save(SLOW_GPKG, f"""
        project = tiny()
        from planning.report import results_gpkg
        results_gpkg(project, [planning.Scenario(project, "second").close("S1").evaluate()], {str(target)!r})
        """)
    assert digest(target) == before
    assert writing != target
    assert {name for name, _ in pyogrio.list_layers(target)} == {"first_villages", "first_schools", "first_trips"}


def test_a_project_file_killed_at_any_moment_of_repeated_saves_always_opens(tmp_path):
    """No slow writer: a child saves the project file again and again and is killed at
    moments spread over its saves; each time the file opens with one whole version."""
    target = tmp_path / "county.gpkg"
    planning.save_project(target, tiny(), scenarios=[planning.Scenario(tiny(), "v0")])
    code = textwrap.dedent(f"""
        import sys
        from tests.test_saves import *
        project = tiny()
        print("READY", flush=True)
        for k in range(1, 10_000):
            planning.save_project({str(target)!r}, project, scenarios=[planning.Scenario(project, f"v{{k}}")])
        """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.05, 0.13, 0.29, 0.41):
        child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().startswith("READY")
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        names = set(planning.open_project(target).scenarios)
        assert names and all(n.startswith("v") for n in names)  # v0 and the versions saved before the kill

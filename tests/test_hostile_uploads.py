"""Hostile uploads and archives: nothing written outside the app's upload folder, zip bombs
and archives naming paths outside themselves refused before anything unpacks them, files
over the size cap refused, upload folders removed with their project and session.

Before (main at 6a5ea10) the app wrote each upload under the name the browser sent
(``folder / upload.name``): ``../../../x.csv`` landed three folders up and an absolute name
overwrote that very file; a 4 MB ``.xlsx`` unpacking to 4 GB took 43 s and 4.4 GB of memory
before failing with MemoryError.
"""

from __future__ import annotations

import gc
import os
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest

import planning
from planning import app as logic
from planning.errors import ValidationError
from planning.i18n import t
from planning.io import read_table

from .conftest import ROOT
from .helpers import FakeUpload, load_in_app

DEMO = ROOT / "data" / "demo"


# ---------------------------------------------------------------------- zip bombs built small
def _raw():
    return zlib.compressobj(9, zlib.DEFLATED, -15)


def deflated_run(head: bytes, fill: bytes, megabytes: int, tail: bytes = b"") -> tuple[bytes, int, int]:
    """A deflate stream of ``head``, ``megabytes`` MB of ``fill`` and ``tail``, built without
    compressing the run: one megabyte is compressed once, ending on a full flush (so the
    block is whole and owes nothing to what came before), and that block repeated. Returns
    (stream, CRC-32 of the unpacked bytes, unpacked size)."""
    chunk = fill * (1 << 20)
    first, block, last = _raw(), _raw(), _raw()
    stream = (first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
              + (block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)) * megabytes
              + last.compress(tail) + last.flush())
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return stream, zlib.crc32(tail, crc), len(head) + (megabytes << 20) + len(tail)


def small(text: str) -> tuple[bytes, int, int]:
    data = text.encode()
    packer = _raw()
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def zip_bytes(entries: list[tuple[str, tuple[bytes, int, int]]]) -> bytes:
    """A zip archive of already deflated entries (name, (stream, crc, size)), written by hand
    as zipfile cannot take a stream it did not compress."""
    out, directory = b"", b""
    for name, (stream, crc, size) in entries:
        raw_name, offset = name.encode(), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size,
                           len(raw_name), 0) + raw_name + stream
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), size,
                                 len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(out), 0)
    return out + directory + end


_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx_bomb(megabytes: int) -> bytes:
    """A workbook whose one cell is a shared string of ``megabytes`` MB of "A": about a
    thousandth of that on disk. The reader keeps the string whole in memory."""
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet.main+xml"/>'
             '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.worksheet+xml"/>'
             '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = (f'<Relationships xmlns="{_REL_NS}"><Relationship Id="rId1" Type="{_DOC_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>')
    book = (f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{_DOC_NS}"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>')
    book_rels = (f'<Relationships xmlns="{_REL_NS}"><Relationship Id="rId1" Type="{_DOC_NS}/worksheet" '
                 f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_DOC_NS}/sharedStrings" '
                 'Target="sharedStrings.xml"/></Relationships>')
    sheet = f'<worksheet xmlns="{_SHEET_NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    strings = deflated_run(f'<sst xmlns="{_SHEET_NS}" count="1" uniqueCount="1"><si><t>'.encode(), b"A", megabytes,
                           b"</t></si></sst>")
    return zip_bytes([("[Content_Types].xml", small(types)), ("_rels/.rels", small(rels)),
                      ("xl/workbook.xml", small(book)), ("xl/_rels/workbook.xml.rels", small(book_rels)),
                      ("xl/worksheets/sheet1.xml", small(sheet)), ("xl/sharedStrings.xml", strings)])


@pytest.fixture
def session(tmp_path, monkeypatch) -> logic.SessionUploads:
    monkeypatch.setattr(planning.settings, "upload_folder", tmp_path / "uploads")
    return logic.session_uploads()


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------- names the browser sends
def test_the_app_writes_no_upload_outside_its_folder_whatever_name_the_browser_sends(tmp_path, monkeypatch):
    """Through the app's own script: the villages upload is named ``../../../escaped.csv``,
    the schools upload the absolute path of an existing file, the roads ``..\\roads.gpkg``.
    The old app wrote the first three folders up and overwrote the second; now the project
    loads from files the app named, inside its upload folder, and that folder is emptied
    once the project is read."""
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))  # where the old app made its folder
    monkeypatch.setattr(planning.settings, "upload_folder", deep / "uploads", raising=False)  # none before
    precious = tmp_path / "precious.csv"
    precious.write_text("not to be overwritten\n", encoding="utf-8")
    uploads = {t("app.upload.villages", "zh"): FakeUpload("../../../escaped.csv", DEMO / "villages.csv"),
               t("app.upload.schools", "zh"): FakeUpload(str(precious), DEMO / "schools.csv"),
               t("app.upload.roads", "zh"): FakeUpload("..\\roads.gpkg", DEMO / "roads.gpkg")}
    at = load_in_app(monkeypatch, uploads)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert at.session_state["project"].name == t("plan_report.county_default", "zh")  # loaded (uploads are named 本县 unless typed)
    assert precious.read_text(encoding="utf-8") == "not to be overwritten\n"
    assert not (tmp_path / "a" / "escaped.csv").exists()
    session = at.session_state["uploads"].folder
    assert session.parent == deep / "uploads"
    assert everything_under(tmp_path) == ["a", "a/b", "a/b/c", "a/b/c/uploads", f"a/b/c/uploads/{session.name}",
                                          "precious.csv"]  # the uploads read, then removed


@pytest.mark.parametrize(("sent", "stored"), [
    ("../../escape.csv", "escape.csv"),
    ("..\\..\\escape.csv", "escape.csv"),
    ("/etc/cron.d/村庄.csv", "村庄.csv"),
    ("C:\\Windows\\System32\\schools.csv", "schools.csv"),
    ("C:schools.csv", "schools.csv"),
    ("..", None),
    ("NUL.csv", "_NUL.csv"),
    ("a\x00b<>|?.csv", "a_b____.csv"),
    (".hidden.geojson", "hidden.geojson"),
    ("roads.osm.pbf", "roads.osm.pbf"),
])
def test_the_upload_handler_makes_the_name_and_the_folder(session, tmp_path, sent, stored):
    kind = "roads" if sent.endswith(".pbf") else "table"
    if stored is None:
        with pytest.raises(ValidationError):
            logic.store_upload(sent, b"x", session=session, kind=kind)
        return
    path = logic.store_upload(sent, b"id,name\n", session=session, kind=kind)
    assert path.name == stored
    assert path.parent.parent == session.folder and len(path.parent.name) == 16  # a folder per upload
    assert path.resolve().is_relative_to(session.folder.resolve())
    assert path.read_bytes() == b"id,name\n"
    assert everything_under(tmp_path) == sorted(["uploads", f"uploads/{session.folder.name}",
                                                 f"uploads/{session.folder.name}/{path.parent.name}",
                                                 f"uploads/{session.folder.name}/{path.parent.name}/{stored}"])
    assert logic.store_upload(sent, b"id,name\n", session=session, kind=kind) == path  # again: the same file
    other = logic.store_upload(sent, b"id,name\n1,x\n", session=session, kind=kind)
    assert other != path and other.name == stored and path.read_bytes() == b"id,name\n"  # new bytes, new folder


def test_only_the_types_a_box_reads_are_kept(session):
    with pytest.raises(ValidationError) as caught:
        logic.store_upload("../run.sh", b"rm -rf /", session=session, kind="table")
    assert caught.value.text("zh") == "run.sh：不支持 '.sh' 类型的文件；请使用以下之一：.csv，.xlsx，.geojson，.gpkg，.zip"
    assert caught.value.text("en") == "run.sh: file type '.sh' is not supported; use one of .csv, .xlsx, .geojson, .gpkg, .zip"
    with pytest.raises(ValidationError, match="'.gpkg'"):
        logic.store_upload("project.gpkg", b"x", session=session, kind="rows")  # a roster box reads CSV and Excel
    assert list(session.folder.iterdir()) == []


# ---------------------------------------------------------------------- archives
def test_a_zip_bomb_upload_is_refused_before_anything_unpacks_it(session):
    """A 4 MB zip whose GeoJSON unpacks to 4,000 MB: refused with the limit and what to do,
    in well under a second and without holding more than the upload itself."""
    bomb = zip_bytes([("villages.geojson", deflated_run(b'{"type": "FeatureCollection", "features": [', b" ", 4000))])
    assert len(bomb) < 5 * 2**20
    with zipfile.ZipFile(BytesIO(bomb)) as archive:  # a genuine archive: it unpacks to spaces
        assert archive.open("villages.geojson").read(50) == b'{"type": "FeatureCollection", "features": [       '
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        logic.store_upload("villages.zip", bomb, session=session, kind="table")
    seconds, (_, peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 2 * len(bomb)
    assert caught.value.text("zh") == (
        "villages.zip：压缩包解压后共 4,000.0 MB，超过上限 500 MB，为防止内存耗尽未解压（几 MB 的压缩包解压成数 GB 是“压缩炸弹”"
        "的特征）。请只压缩所需的文件；如数据确实这么大，请提高上限：planning.settings.max_unzipped_mb，或环境变量 "
        "PLANNING_MAX_UNZIPPED_MB")
    assert caught.value.text("en").startswith(
        "villages.zip: the archive would unpack to 4,000.0 MB, more than the limit of 500 MB, and was not unpacked")
    assert list(session.folder.iterdir()) == []  # nothing written


@pytest.mark.skipif(not hasattr(os, "fork"), reason="memory is capped with RLIMIT_AS (POSIX)")
def test_an_excel_bomb_is_refused_by_the_table_reader_in_bounded_time_and_memory(tmp_path):
    """The command line reads tables with read_table: a 4 MB workbook whose one cell unpacks
    to 4,000 MB, read in a child process allowed 1.5 GB of address space, is refused with
    the message; the old reader spent 43 s and 4.4 GB, then MemoryError."""
    path = tmp_path / "villages.xlsx"
    path.write_bytes(xlsx_bomb(4000))
    code = ("import resource, sys; from planning.io import read_table\n"
            "try:\n    read_table(sys.argv[1])\nexcept Exception as exc:\n    print(exc.text('en'))\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))

    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         preexec_fn=cap, env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    seconds = time.perf_counter() - started
    message, peak_kb = run.stdout.strip().splitlines()
    assert message.startswith(f"{path}: the archive would unpack to 4,000.0 MB, more than the limit of 500 MB")
    assert int(peak_kb) < 1024 * 1024 and seconds < 30  # importing the package is most of it (the old: 4.4 GB)


def test_archives_naming_paths_outside_themselves_are_refused(session, tmp_path):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("roads.prj", "GEOGCS[...]")
        archive.writestr("../../roads.shp", b"\0" * 100)
        archive.writestr("/etc/roads.dbf", b"\0" * 100)
        archive.writestr("sub/..\\..\\roads.shx", b"\0" * 100)
    with pytest.raises(ValidationError) as caught:
        logic.store_upload("roads.zip", buffer.getvalue(), session=session, kind="roads")
    assert caught.value.text("en") == (
        "roads.zip: the archive holds 3 file(s) whose path is absolute or leads outside it (with ..): ../../roads.shp, "
        "/etc/roads.dbf, sub/..\\..\\roads.shx. It was not opened, for safety. Zip only the files themselves "
        "(without folder paths) and try again")
    assert "压缩包中有 3 个文件的路径是绝对路径或指向压缩包之外" in caught.value.text("zh")
    assert list(session.folder.iterdir()) == []
    path = tmp_path / "roads.zip"  # the command line's reader says the same
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValidationError, match="leads outside it"):
        read_table(path)


def test_an_archive_of_too_many_files_is_refused_from_its_end_record(session, monkeypatch):
    monkeypatch.setattr(planning.settings, "max_archive_files", 10)
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(11):
            archive.writestr(f"part{i}.csv", "x")
    with pytest.raises(ValidationError) as caught:
        logic.store_upload("parts.zip", buffer.getvalue(), session=session, kind="table")
    assert "the archive holds more than 10 files and was not unpacked" in caught.value.text("en")
    assert "PLANNING_MAX_ARCHIVE_FILES" in caught.value.text("zh")


# ---------------------------------------------------------------------- sizes and folders
def test_a_file_over_the_upload_cap_is_refused_and_kept_after_raising_it(session, monkeypatch):
    monkeypatch.setattr(planning.settings, "max_upload_mb", 1)
    data = b"id,name\n" + b"0" * 2**20
    with pytest.raises(ValidationError) as caught:
        logic.store_upload("villages.csv", data, session=session, kind="table")
    assert caught.value.text("en") == (
        "villages.csv: the file is 1.0 MB, more than the upload limit of 1 MB, and was not kept. Upload a smaller "
        "file (e.g. only the county's area); the server's administrator can raise the limit with the environment "
        "variable PLANNING_MAX_UPLOAD_MB")
    assert caught.value.text("zh").startswith("villages.csv：文件大小为 1.0 MB，超过上传上限 1 MB，未保存")
    assert list(session.folder.iterdir()) == []
    monkeypatch.setattr(planning.settings, "max_upload_mb", 2)
    assert logic.store_upload("villages.csv", data, session=session, kind="table").read_bytes() == data


def test_upload_folders_go_with_their_project_their_session_and_their_server(tmp_path, monkeypatch):
    monkeypatch.setattr(planning.settings, "upload_folder", tmp_path / "uploads")
    live = logic.session_uploads()
    path = logic.store_upload("villages.csv", b"id\n", session=live, kind="table")
    live.clear()  # the project they made was replaced
    assert not path.exists() and live.folder.is_dir() and list(live.folder.iterdir()) == []
    ended = logic.session_uploads()
    logic.store_upload("schools.csv", b"id\n", session=ended, kind="table")
    folder = ended.folder
    del ended
    gc.collect()  # Streamlit drops a session's state when the session ends
    assert not folder.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / "uploads" / f"s{int(dead.stdout)}-abc123"  # left by an app process that stopped
    (gone / "0123456789abcdef").mkdir(parents=True)
    old = tmp_path / "uploads" / f"s{os.getpid()}-old456"  # this process's, but untouched for two days
    old.mkdir()
    os.utime(old, (time.time() - 48 * 3600,) * 2)
    other = tmp_path / "uploads" / "not-a-session"
    other.mkdir()
    assert sorted(logic.remove_stale_uploads()) == sorted([gone, old])
    assert live.folder.is_dir() and other.is_dir()


def test_a_broken_upload_s_message_names_the_file_as_the_planner_named_it(tmp_path, monkeypatch):
    """The message of a table with a pupil count below zero names ``villages.csv`` (its
    header, its row), never the server's folders, whatever folders the browser's name held."""
    monkeypatch.setattr(planning.settings, "upload_folder", tmp_path / "uploads", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = (DEMO / "villages.csv").read_text(encoding="utf-8").splitlines()
    cells = rows[2].split(",")
    cells[6] = "-5"
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([*rows[:2], ",".join(cells), *rows[3:]]) + "\n", encoding="utf-8")
    uploads = {t("app.upload.villages", "zh"): FakeUpload("../../villages.csv", broken),
               t("app.upload.schools", "zh"): FakeUpload("schools.csv", DEMO / "schools.csv"),
               t("app.upload.roads", "zh"): FakeUpload("roads.gpkg", DEMO / "roads.gpkg")}
    at = load_in_app(monkeypatch, uploads)
    (error,) = at.error
    assert error.value.startswith("villages.csv：第 3 行：一年级 为 -5，小于零"), error.value
    assert str(tmp_path) not in error.value

"""Pictures of what planners take to the meeting, for people reading the repository.

    .venv/bin/python docs/make_pictures.py [ARTIFACTS]     # ARTIFACTS: tests/artifacts by default

Writes into ``docs/pictures/``:

- ``report_<lang>_<page>.png``: pages of the plan report (:func:`planning.report.plan_report`)
  of the demo's plan 撤并为5所 (13 schools to 5) against today, in Chinese and English, at
  80 dpi, drawn by the same code as the PDF: the cover, the plan in brief, the primary
  level's maps side by side and the schools (:data:`PAGES`);
- ``app_<view>_<lang>_<width>.png``: the browser app, copied from ``tests/artifacts/`` where
  the browser test (``tests/test_browser.py``, headless Chromium) left its screenshots
  (run ``make test`` or ``pytest tests/test_browser.py`` first; missing ones are skipped).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import planning  # noqa: E402
from planning.report import plan_report_pages  # noqa: E402

OUT = ROOT / "docs" / "pictures"
UNIT = {"zh": "某县教育局", "en": "County Education Bureau"}
#: the report's pages shown (1-based)
PAGES = (1, 2, 3, 6)
#: screenshots of the browser test worth showing: its file name → the picture's name
SCREENSHOTS = {
    "08_demo_zh_1024.png": "app_map_zh_1024.png",
    "08_demo_en_1024.png": "app_map_en_1024.png",
    "02_closed_zh_1600.png": "app_map_zh_1600.png",
    "09_compare_zh_1024.png": "app_compare_zh_1024.png",
    "20_county_3000_edit.png": "app_county_3000_edit_1600.png",
}


def report_pictures(lang: str) -> list[Path]:
    """Each page of the demo plan's report in ``lang`` as a PNG."""
    import logging

    import matplotlib.pyplot as plt

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # no bold CJK: regular is drawn

    project = planning.demo()
    plan = planning.Scenario.from_file(ROOT / "data" / "demo" / "scenarios" / "consolidate_5.yaml", project)
    pages = plan_report_pages(project, [planning.baseline(project), plan.evaluate()], lang=lang, unit=UNIT[lang],
                              date="2026-11-24")
    written = []
    try:
        for number, page in enumerate(pages, start=1):
            if number not in PAGES:
                continue
            path = OUT / f"report_{lang}_{number:02d}.png"
            page.savefig(path, dpi=80)
            written.append(path)
    finally:
        for page in pages:
            plt.close(page)
    return written


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for lang in ("zh", "en"):
        for path in report_pictures(lang):
            print(path.relative_to(ROOT))
    artifacts = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "artifacts"
    for source, name in SCREENSHOTS.items():
        shot = artifacts / source
        if shot.exists():
            shutil.copyfile(shot, OUT / name)
            print((OUT / name).relative_to(ROOT))
        else:
            print(f"(no {shot}: run the browser test first)")


if __name__ == "__main__":
    main()

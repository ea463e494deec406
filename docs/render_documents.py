"""Print the demo's official documents for docs/documents.md: load the demo into a scratch database, take
the newest notice, supervision order, acceptance record, worksheet, letter to the government, report to
the superior unit and monthly summary, convert them to PDF with LibreOffice and each page to PNG.

    make documents            # LibreOffice, poppler-utils and the Noto CJK fonts
    python docs/render_documents.py [--out docs/documents] [--dpi 60]

Run from the repository root with the project's Python (PYTHONPATH=. if it is not installed).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# (file name, kind, condition on the document row, caption)
SHOWN = [
    ("1-hazard-notice", "hazard_notice", lambda d: True, "隐患告知书"),
    ("2-supervision-order", "supervision_order", lambda d: True, "隐患督导单"),
    ("3-acceptance-record", "acceptance_record", lambda d: True, "隐患验收及销号记录"),
    ("4-inspection-worksheet", "inspection_worksheet", lambda d: True, "用电检查工作单"),
    ("5-government-letter", "government_report", lambda d: d.hazard_id is not None, "报告政府主管部门（重大隐患）"),
    ("6-superior-report", "superior_report", lambda d: True, "报告上级单位（客户升为A级）"),
    ("7-monthly-summary", "periodic_summary", lambda d: True, "隐患排查治理情况月报"),
]


def _demo(folder: Path):
    from click.testing import CliRunner

    from cli import main
    from services import migrate
    from engine.database import make_engine
    from webui import create_app
    url = f"sqlite:///{folder / 'demo.db'}"
    sa = make_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    app = create_app({"ENV": "testing", "SECRET_KEY": "docs", "DATABASE_URL": url, "DATA_DIR": str(folder / "data")})
    runner = CliRunner()
    for command in (["init"], ["demo"]):
        result = runner.invoke(main, command, obj={"app": app})
        if result.exit_code != 0:
            raise SystemExit(result.output)
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "documents"))
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args(argv)
    from document_support import pdf_tools_missing, to_pdf
    if pdf_tools_missing():
        raise SystemExit(pdf_tools_missing())
    from PIL import Image
    from sqlalchemy import select

    from records import Document
    from webui import db
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        app = _demo(Path(scratch))
        files = app.extensions["gridsafe.files"]
        docx = []
        with app.app_context():
            rows = db.session().scalars(select(Document).order_by(Document.id.desc())).all()
            for name, kind, wanted, _caption in SHOWN:
                row = next(d for d in rows if d.kind == kind and wanted(d))
                path = Path(scratch) / f"{name}.docx"
                path.write_bytes(files.get(row.sha256))
                docx.append(path)
        for pdf in to_pdf(docx, scratch):
            shutil.copy(pdf, out / pdf.name)
            subprocess.run(["pdftoppm", "-r", str(args.dpi), "-png", str(pdf), str(out / pdf.stem)], check=True)
    for png in out.glob("*.png"):                    # 256 colours: a third of the size, as legible
        with Image.open(png) as image:
            small = image.convert("RGB").quantize(256)
        small.save(png, optimize=True)
    page = out.parent / "documents.md"
    page.write_text(_page(out), encoding="utf-8")
    print(f"written to {out}: {len(list(out.glob('*.pdf')))} PDFs, {len(list(out.glob('*.png')))} pages; {page}")
    return 0


INTRO = """# The documents, as printed

What the demo (`make run`) prints, converted to PDF with LibreOffice and shown page by page, so that a
reader sees them without running anything. Regenerate this page and its images with
`make documents && python docs/render_documents.py` (PYTHONPATH=. outside the installed venv).

Every document follows GB/T 9704 where it applies: A4 with the official margins, title in 小标宋, body in
仿宋 三号, headings in 黑体, page numbers "— N —", headings and the close kept with what they belong to, a
seal area（盖章）where the company signs, and signatures with date and time. The fonts are named as the
office has them (方正小标宋简体, 仿宋_GB2312, 黑体) with Noto CJK as the alternative a Debian machine has;
the images below were made on such a machine, so the faces are the substitutes, not the office's.
People appear by name and post, inspectors with their 用电检查证 numbers; letters to the government and
to the superior unit are separate, numbered in the company's pattern (`LETTER_NUMBER_PATTERN`,
吉供营销〔2026〕N号) with 签发人, 主送, 抄送 and a contact. `tests/test_document_wording.py` and
`tests/test_document_pdf.py` check all of this on every document of the demo and of a fresh hazard.
"""


def _page(out: Path) -> str:
    parts = [INTRO]
    for name, _kind, _wanted, caption in SHOWN:
        pages = sorted(out.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        parts.append(f"## {caption}\n\n[PDF]({out.name}/{name}.pdf) · {len(pages)} 页\n")
        parts += [f"![{caption} 第{i}页]({out.name}/{p.name})" for i, p in enumerate(pages, start=1)]
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())

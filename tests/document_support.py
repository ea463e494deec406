"""Reading generated documents back as a reader would: the text in order, the field tables, and what a
customer or a clerk must not find in them (login names, English words, internal codes)."""
from __future__ import annotations

import io
import re

from docx import Document as Docx
from docx.oxml.ns import qn

# Latin letters a document may hold, each for a reason. Anything else is a defect.
ALLOWED = [
    (r"(?:GB/T|GB/Z|GB|DL/T)\s?\d+(?:\.\d+)?-\d{4}", "standard numbers"),
    (r"(?<![A-Za-z])(?:YH|JC)(?:-[A-Z]+)+-\d{4}-\d{5}(?:-(?:GZ|YS|DD\d+))?(?![A-Za-z])",
     "hazard file and worksheet numbers, and the numbers of the notice, order and acceptance record"),
    (r"(?<![A-Za-z])(?:YHTJ|YHNB|KH)(?:-[A-Z]+)*-\d{4}(?:-\d{2}|-Q\d)?(?![A-Za-z])", "summary and assessment numbers"),
    (r"(?<![A-Za-z])[A-Z]{2}\d{2}(?!\d)", "hazard dictionary codes (IL01)"),
    (r"(?<![A-Za-z])[A-Z]\d{2}(?!\d)", "checklist item codes (A01, S01)"),
    (r"(?<![A-Za-z])[ABC](?=\s?级)", "risk grades A/B/C"),
    (r"(?<![A-Za-z])UPS(?![A-Za-z])", "a technical term an inspector typed"),
]


def docx_of(data: bytes):
    return Docx(io.BytesIO(data))


def text_of(doc) -> str:
    """Every paragraph and table cell in document order, then headers and footers."""
    out = []
    for block in doc.element.body.iterchildren():
        if block.tag == qn("w:p"):
            out.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
        elif block.tag == qn("w:tbl"):
            for tr in block.iter(qn("w:tr")):
                out.append(" | ".join("".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.iter(qn("w:tc"))))
    return "\n".join(out)


def fields_of(doc) -> dict[str, str]:
    """The two-column field tables: label -> value."""
    return {row.cells[0].text: row.cells[1].text for table in doc.tables for row in table.rows
            if len(row.cells) == 2}


def stray_latin(text: str) -> str:
    """The text with the allowed codes removed: what remains must hold no Latin letter."""
    for pattern, _why in ALLOWED:
        text = re.sub(pattern, "", text)
    return " ".join(re.findall(r"\S*[A-Za-z]\S*", text))


def login_names_in(text: str, usernames) -> list[str]:
    return [u for u in usernames if re.search(rf"(?<![A-Za-z0-9_]){re.escape(u)}(?![A-Za-z0-9_])", text)]


def has_page_numbers(doc) -> bool:
    footer = doc.sections[0].footer._element
    return any("PAGE" in (t.text or "") for t in footer.iter(qn("w:instrText")))


def unfilled(fields: dict[str, str], labels) -> list[str]:
    """The labels that are missing or print as empty (—)."""
    return [label for label in labels if (fields.get(label) or "—").strip() in ("", "—")]


# the fields of domain.md §6 each document must fill (by its table labels) and the lines it must print
REQUIRED = {
    "hazard_notice": (["客户名称", "户号", "用电地址", "重要等级", "法定代表人", "检查工作单编号", "检查日期", "检查人员",
                       "隐患档案编号", "隐患项目", "隐患等级", "隐患部位及设备", "隐患描述", "依据", "可能后果",
                       "整改期限", "整改要求", "建议措施"],
                      ["联系人", "客户代表签字", "签字时间", "（盖章）"]),
    "supervision_order": (["关联告知书编号", "隐患档案编号", "隐患项目", "原整改期限", "逾期起始日期", "逾期天数", "督导次数",
                           "复查整改进展", "客户说明的原因", "督导要求", "新整改期限", "逾期后果"],
                          ["签发：", "审核：", "报告记录：", "客户代表签字", "（盖章）"]),
    "acceptance_record": (["隐患档案编号", "隐患项目", "验收日期", "验收方式", "验收人员", "验收内容", "验收结论"],
                          ["验收人员签字", "客户代表签字", "签字时间", "（盖章）"]),
    "inspection_worksheet": (["任务来源", "检查单", "计划检查日期", "派工", "户号", "客户名称", "用电地址", "重要等级",
                              "供电电压", "受电容量", "检查人员", "检查日期"],
                             ["检查项目及结果", "发现的隐患", "检查结论", "客户代表", "签字时间", "（盖章）"]),
    "government_report": ([], ["签发人：", "抄送：", "联系人：", "（盖章）", "印发"]),
    "superior_report": ([], ["签发人：", "抄送：", "联系人：", "（盖章）", "印发"]),
    "periodic_summary": ([], ["总体情况", "主要指标", "隐患分级统计", "（盖章）"]),
}


# -- PDF (LibreOffice) -------------------------------------------------------------------------------

def pdf_tools_missing() -> str | None:
    """Why documents cannot be converted here, or None."""
    import shutil
    missing = [tool for tool in ("soffice", "pdftotext", "pdfinfo", "pdffonts") if not shutil.which(tool)]
    return (f"{', '.join(missing)} not installed: `make documents` installs LibreOffice (libreoffice-writer-nogui), "
            "poppler-utils and fonts-noto-cjk") if missing else None


def fontconfig(folder) -> str:
    """A fontconfig file mapping the official fonts the documents name to their Debian alternatives
    (handlers.docx_layout.FALLBACKS): LibreOffice reads fontconfig, not the font table's w:altName."""
    from pathlib import Path

    from handlers.docx_layout import FALLBACKS
    aliases = "".join(f'  <alias binding="same"><family>{name}</family><prefer><family>{alt}</family></prefer></alias>\n'
                      for name, alt in FALLBACKS.items())
    path = Path(folder) / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' + aliases + "</fontconfig>\n",
                    encoding="utf-8")
    return str(path)


def to_pdf(docx_paths, outdir) -> list:
    """Convert .docx files to PDF with LibreOffice in one run (its own profile, so runs don't collide), the
    official fonts replaced by their Debian alternatives."""
    import os
    import subprocess
    from pathlib import Path
    outdir = Path(outdir)
    profile = outdir / ".lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(outdir), *map(str, docx_paths)], check=True, capture_output=True,
                   timeout=300, env={**os.environ, "FONTCONFIG_FILE": fontconfig(outdir)})
    return [outdir / (Path(p).stem + ".pdf") for p in docx_paths]


def pdf_pages(path) -> list[list[str]]:
    """The non-empty text lines of each page."""
    import subprocess
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]


def pdf_fonts(path) -> str:
    import subprocess
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


CLOSING = [r"^\S*（盖章）$", r"^\d{4}年\d{1,2}月\d{1,2}日$", r"^—\s*\d+\s*—$", r"^签发人：", r"^（联系人：", r"^抄送：",
           r"印发$", r"^＿+年＿+月＿+日$", r"^\S*\d{8,}）$"]
HEADING = r"^[一二三四五六七八九十]+、\S+$"


def closing_only(lines: list[str]) -> bool:
    """A page that holds nothing but closing lines (seal, date, contact, copies): the close is the end of a
    document, so a page that begins with one of its lines holds nothing else (wrapped lines included)."""
    body = [line for line in lines if not re.search(r"^—\s*\d+\s*—$", line)]
    return not body or any(re.search(p, body[0]) for p in CLOSING)


def ends_with_heading(lines: list[str]) -> bool:
    """A page whose last line before the page number is a heading (its table went to the next page)."""
    body = [line for line in lines if not re.search(r"^—\s*\d+\s*—$", line)]
    return bool(body) and bool(re.search(HEADING, body[-1]))

"""Is this title an annual report, or something that only looks like one?

Portals list 年报解读, notices about compiling reports, work plans, budgets, 政府工作报告 and drafts
next to the reports themselves. The crawler asks this before it downloads attachments; the
answer and its reason are kept so a wrong call can be traced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.report.textutil import compact

# A report title names disclosure work and an annual report.
REPORT_TITLE = re.compile(
    r"(政府信息公开|政务信息公开|政务公开|信息公开)(工作)?[^，。]{0,6}(年度报告|年报|年度工作报告)"
)
YEAR = re.compile(r"(19|20)\d{2}|[〇零○一二三四五六七八九]{4}年")
# Look-alikes, each with the reason given when a title is rejected.
LOOKALIKES: tuple[tuple[str, str], ...] = (
    (r"解读|图解|答记者问|一图读懂|政策解析", "年报解读"),
    (r"^关于.{0,40}(通知|函|意见|方案|报送|编制|发布工作)", "关于年报的通知"),
    (r"(的|发布|报送|编制)(通知|函)$|通知$", "关于年报的通知"),
    (r"工作要点|工作计划|实施方案|任务分工", "政务公开工作要点"),
    (r"预算|决算|三公经费", "预算/决算"),
    (r"政府工作报告", "政府工作报告"),
    (r"法治政府建设", "法治政府建设情况报告"),
    (r"统计公报|国民经济和社会发展", "统计公报"),
    (r"征求意见稿|草案|送审稿|讨论稿|（稿）|模板|样本|范本", "草稿或模板"),
    (r"目录|指南|制度", "公开指南或目录"),
)


@dataclass(frozen=True)
class Verdict:
    is_report: bool
    reason: str


def classify_title(title: str) -> Verdict:
    flat = compact(title)
    if not flat:
        return Verdict(False, "无标题")
    for pattern, reason in LOOKALIKES:
        if re.search(pattern, flat):
            return Verdict(False, reason)
    if REPORT_TITLE.search(flat):
        if not YEAR.search(flat):
            return Verdict(False, "栏目名称（无年度）")
        return Verdict(True, "年度报告")
    return Verdict(False, "不是年度报告")


def looks_like_report_link(text: str) -> bool:
    """A list entry worth opening: a report title or a truncated one (…年度报…)."""
    flat = compact(text).rstrip(".…")
    if classify_title(flat).is_report:
        return True
    # titles cut short in list text: "青川县教育局2023年政府信息公开工作年度..."
    return bool(re.search(r"(19|20)\d{2}年?度?.{0,12}(政府信息公开|政务公开|信息公开)", flat)) and len(flat) >= 10 \
        and not any(re.search(p, flat) for p, _ in LOOKALIKES)

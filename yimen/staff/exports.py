"""Excel export of the A/B rota (openpyxl): one sheet per ISO week plus a coverage sheet."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yimen.outlets.rules import WEEKDAY_LABELS, format_spans

GAP_FILL = PatternFill("solid", fgColor="FDE2E1")
HEAD_FILL = PatternFill("solid", fgColor="E5EDF7")


def rota_workbook(rota) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    cells, gaps = {}, {}
    for a in rota.assignments:
        cells.setdefault((a.window, a.date), []).append(a)
    for g in rota.gaps:
        gaps.setdefault((g.window, g.date), []).append(g)
    days = rota.days
    for start in range(0, len(days), 7):
        week = days[start : start + 7]
        iso = week[0].date.isocalendar()
        ws = wb.create_sheet(f"{iso.year}-W{iso.week:02d}")
        ws.append(
            [
                f"{rota.outlet.name} A/B 排班表",
                f"{week[0].date:%Y-%m-%d} 至 {week[-1].date:%Y-%m-%d}",
            ]
        )
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(
            ["窗口", "A岗 / B岗"]
            + [f"{d.date:%m-%d} {WEEKDAY_LABELS[d.date.weekday()]}" for d in week]
        )
        ws.append(["办公时间", ""] + [format_spans(d.spans) for d in week])
        ws.append(
            ["值班组", ""] + [(f"{rota.duty_group(d.date)}组" if d.spans else "休息") for d in week]
        )
        for row in ws.iter_rows(min_row=2, max_row=4):
            for c in row:
                c.fill, c.font = HEAD_FILL, Font(bold=True)
        for post in rota.posts:
            members = (
                " / ".join(f"{g}:{rota.names.get(u, u)}" for g, u in sorted(post.members.items()))
                or "（未配岗）"
            )
            line = [post.label, members]
            for d in week:
                parts = [
                    f"{a.start:%H:%M}-{a.end:%H:%M} {rota.names.get(a.staff, a.staff)}"
                    + (f"（{a.kind_label}）" if a.kind != "regular" else "")
                    for a in sorted(cells.get((post.window, d.date), []), key=lambda x: x.start)
                ]
                parts += [
                    f"缺岗 {g.start:%H:%M}-{g.end:%H:%M}"
                    for g in gaps.get((post.window, d.date), [])
                ]
                line.append("\n".join(parts) if parts else ("—" if not d.spans else ""))
            ws.append(line)
            for i, d in enumerate(week):
                if gaps.get((post.window, d.date)):
                    ws.cell(row=ws.max_row, column=3 + i).fill = GAP_FILL
        for col in range(1, 3 + len(week)):
            ws.column_dimensions[get_column_letter(col)].width = 24 if col > 2 else 20
        for row in ws.iter_rows(min_row=2):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "C5"
    cov = wb.create_sheet("覆盖检查")
    cov.append(["窗口", "日期", "缺岗时段"])
    for g in rota.gaps:
        cov.append([g.window, g.date.isoformat(), f"{g.start:%H:%M}-{g.end:%H:%M}"])
    if not rota.gaps:
        cov.append(["无缺岗", "", ""])
    for a, b in rota.clashes:
        cov.append(
            [
                f"冲突：{rota.names.get(a.staff, a.staff)}",
                a.date.isoformat(),
                f"{a.window} 与 {b.window} 同时段",
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

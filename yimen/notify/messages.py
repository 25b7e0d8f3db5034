"""Message templates: code → Chinese text with the sign, `{name}` placeholders, `urgent` flag.

A provider sends the template's registered code with the parameters (docs/notifications.md,
`YIMEN_SMS_TEMPLATE_CODES`); the `log` and simulator backends send the rendered text. Urgent
templates (a call to a window) are exempt from the quiet hours and the daily limit.

Every helper adds its templates in a section at the end headed by a comment with its name.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

SIGN = "【西宁政务服务】"
SEGMENT = 70  # characters of one Chinese SMS segment (longer texts go out as 2–3 segments)
MAX_LENGTH = 210  # three segments: the longest text we let a template render to
PARAM_MAX = 60  # a parameter longer than this is shortened with "…" (receipt numbers, names)


@dataclass(frozen=True)
class Template:
    code: str
    text: str
    urgent: bool = False
    description: str = ""
    placeholders: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        names = [n for _, n, _, _ in string.Formatter().parse(self.text) if n]
        object.__setattr__(self, "placeholders", tuple(dict.fromkeys(names)))


class TemplateError(ValueError):
    """An unknown template or missing parameters: a programming error of the caller."""


def _t(code: str, text: str, *, urgent: bool = False, description: str = "") -> Template:
    return Template(code=code, text=SIGN + text, urgent=urgent, description=description)


TEMPLATES: dict[str, Template] = {
    t.code: t
    for t in [
        # --- cases (办件) --------------------------------------------------------------------
        _t(
            "case.ready",
            "您的办件{receipt}（{item}）{what}，可到{outlet}窗口领取，或申请邮寄/电子送达。",
            description="办件结果已出",
        ),
        _t(
            "case.tolerance_reminder",
            "您的办件{receipt}（{item}）容缺材料「{materials}」须于{deadline}前补交，"
            "逾期将终止办理。",
            description="容缺材料补交提醒",
        ),
        _t(
            "case.terminated",
            "您的办件{receipt}因容缺材料未在承诺期限{deadline}前补交，已终止办理。",
            description="容缺逾期终止",
        ),
        # --- feedback (好差评, 办不成事) ----------------------------------------------------
        _t(
            "grievance.accepted",
            "您在{outlet}的“办不成事”反映已受理，编号{number}，我们将于{due}前答复。",
        ),
        _t(
            "grievance.escalated",
            "您的反映（{number}）已提交“{rung}”研究协调，将于{due}前作出答复或继续协调。",
        ),
        _t("grievance.answered", "您的反映（{number}）经“{rung}”研究，答复如下：{answer}"),
        _t("grievance.investigating", "您的反映（{number}）已进入核查，督查人员：{staff}。"),
        _t("grievance.handled", "您的反映（{number}）已处理：{note}"),
        _t("grievance.closed", "您的反映（{number}）已办结归档，感谢您的监督。"),
        _t("grievance.reopened", "您的反映（{number}）已重新办理，我们会尽快再次答复。"),
        _t(
            "feedback.rectified",
            "您在{outlet}反映的问题已处理：{state}。欢迎对整改结果再评价一次：{url}",
        ),
        # --- outbox (test message of an operator: `yimen outbox send-test`) -----------------
        _t("outbox.test", "这是一条测试短信（{at}），收到即表示短信通道正常。"),
    ]
}


def get(code: str) -> Template:
    try:
        return TEMPLATES[code]
    except KeyError:
        raise TemplateError(f"unknown message template {code!r}") from None


def check(code: str, params: dict[str, str]) -> Template:
    """The template, after checking that `params` give every placeholder (TemplateError)."""
    template = get(code)
    missing = [n for n in template.placeholders if n not in params]
    if missing:
        raise TemplateError(f"template {code!r} needs {', '.join(missing)}")
    return template


def _clip(value: object) -> str:
    text = str(value)
    return text if len(text) <= PARAM_MAX else text[: PARAM_MAX - 1] + "…"


def render(code: str, params: dict[str, str]) -> str:
    """The text of the message (the sign first), parameters shortened to PARAM_MAX."""
    template = check(code, params)
    text = template.text.format_map({n: _clip(params[n]) for n in template.placeholders})
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"


def ordered_params(code: str, params: dict[str, str]) -> list[str]:
    """The parameters in placeholder order (providers that take a list: Tencent Cloud)."""
    template = check(code, params)
    return [_clip(params[n]) for n in template.placeholders]

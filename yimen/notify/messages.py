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

# --- notify (helper `notify`: queue, appointments, 主动服务; yimen/outreach) -------------------
# Each renders within one SMS (70 characters) with the parameters outreach passes (names clipped
# by outreach.rules.clip); tested in yimen/outreach/tests/test_rules.py.
TEMPLATES.update(
    {
        t.code: t
        for t in [
            _t(
                "queue.near",
                "您在{outlet}的{number}号前面还有{ahead}人，快到您了，请留意叫号。",
                description="快到您了（排位≤N）",
            ),
            _t(
                "queue.near_remote",
                "您远程取的{number}号前面还有{ahead}人，请于{deadline}前到{outlet}签到。",
                description="快到您了（远程号，提醒到场签到）",
            ),
            _t(
                "queue.call",
                "请{number}号到{window}号窗口办理（{outlet}）。",
                urgent=True,
                description="叫号：请到 X 号窗口（不受免打扰时段限制）",
            ),
            _t(
                "appt.booked",
                "您已预约{when}在{outlet}办理{item}，预约码{code}，请带身份证按时签到。",
                description="预约确认",
            ),
            _t(
                "appt.day_before",
                "提醒：您预约了明天{time}在{outlet}办理{item}，请带身份证提前签到。",
                description="预约前一天提醒",
            ),
            _t(
                "appt.hour_before",
                "您预约的{time}{item}即将开始，请到{outlet}签到。",
                description="预约前一小时提醒",
            ),
            _t(
                "appt.cancelled",
                "您{when}在{outlet}的{item}预约已取消。{reason}",
                description="预约取消",
            ),
            _t(
                "appt.closed",
                "{outlet}{date}{change}，您当天的预约已取消，可改约{next}或到{alt}办理。",
                description="网点闭馆，预约取消并告知改约",
            ),
            _t(
                "proactive.yearly",
                "提醒：{name}的{item}须在{due}前办理年度认证，可到{outlet}办理。回T退订",
                description="主动服务：年度认证提醒（本人或经同意的亲属）",
            ),
        ]
    }
)


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


# --- hall (portal “我的” sign-in) ----------------------------------------------------------------
# urgent: the person asked for it this minute; a code held back until 08:00 would be useless
TEMPLATES["portal.mine_code"] = _t(
    "portal.mine_code",
    "您查询“我的办事记录”的验证码是{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会索要。",
    urgent=True,
    description="“我的”登录验证码（敏感，发送后清除）",
)

# --- online (helper `online`: 网上申报 and 网上预审, yimen/online) -------------------------------
TEMPLATES.update(
    {
        t.code: t
        for t in [
            _t(
                "online.submitted",
                "您的网上申报{receipt}（{item}）已提交，将于{due}前完成网上预审。",
                description="网上申报已提交",
            ),
            _t(
                "online.correction",
                "您的网上申报{receipt}（{item}）需补正：{materials}。请登录网上申报重新上传，无需到现场。",
                description="网上预审：一次性补正告知",
            ),
            _t(
                "online.accepted",
                "您的网上申报{receipt}（{item}）已受理，承诺{due}前办结。",
                description="网上预审：已受理",
            ),
            _t(
                "online.refused",
                "您的网上申报{receipt}（{item}）不予受理：{reason}。详情请登录网上申报查看。",
                description="网上预审：不予受理",
            ),
            _t(
                "online.consent",
                "{agent}已受您委托在网上申报{item}（{receipt}）。如非本人委托，请拨打12345。",
                description="委托代办：告知委托人",
            ),
            _t(
                "online.result",
                "您的办件{receipt}（{item}）结果已出：{how}。",
                description="网上申报：结果送达",
            ),
        ]
    }
)

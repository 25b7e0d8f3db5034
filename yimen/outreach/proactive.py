"""主动服务 (S01): yearly reminders (高龄补贴 / 养老金 certification …) to the person or a
relative's phone — a relative's phone only with their consent, recorded by the clerk — or on
paper; and unsubscribing (a link in the message or a reply keyword), recorded per phone and
honoured before anything is queued (sending.queue_message)."""

from __future__ import annotations

from datetime import date, datetime

from django.core import signing
from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.core.fields import protected_lookup_hash
from yimen.core.jobs import JobRun
from yimen.core.masking import mask_name, mask_phone
from yimen.core.validators import check_mobile, check_resident_id, normalize_id_number
from yimen.staff.authz import authorize

from . import rules
from .models import Consent, OptOut, YearlyReminder
from .sending import queue_message

SELF = "本人"
UNSUBSCRIBE_SALT = "yimen.outreach.unsubscribe"


@transaction.atomic
def plan_yearly_reminder(
    actor,
    *,
    outlet,
    item,
    person_name: str,
    id_number: str,
    due_date: date,
    channel: str = YearlyReminder.SMS,
    phone: str = "",
    relation: str = SELF,
    consent: bool = False,
    request=None,
) -> YearlyReminder:
    """Plan next year's reminder for a person. To a relative's phone (`relation` other than
    本人) only with `consent=True`: the relative's agreement is recorded (who, when, by whom)."""
    staff = authorize(actor, "outreach.consent", outlet=outlet)
    person_name = (person_name or "").strip()
    if not person_name:
        raise ValidationFailed("请填写本人姓名。", code="name_required")
    check = check_resident_id(id_number, clock.today())
    if not check.ok:
        raise ValidationFailed(check.message, code="bad_id_number")
    if due_date <= clock.today():
        raise ValidationFailed("认证截止日期应晚于今天。", code="bad_due_date")
    relation = (relation or SELF).strip()[:20]
    phone = (phone or "").strip()
    record = None
    if channel == YearlyReminder.SMS:
        if not check_mobile(phone):
            raise ValidationFailed("手机号码格式不正确（应为11位手机号）。", code="bad_phone")
        if relation != SELF:
            if not consent:
                raise ValidationFailed(
                    "发送到亲属的手机须先征得其本人同意，请确认已取得同意后勾选。",
                    code="consent_required",
                )
            record = Consent.objects.create(
                person_name=person_name,
                person_id_hash=protected_lookup_hash(normalize_id_number(id_number)),
                phone=phone,
                relation=relation,
                recorded_by=staff,
                outlet=outlet,
                granted_at=clock.now(),
            )
    elif channel == YearlyReminder.PAPER:
        phone = ""
    else:
        raise ValidationFailed("提醒方式应为短信或纸质通知。", code="bad_channel")
    try:
        with transaction.atomic():
            reminder = YearlyReminder.objects.create(
                outlet=outlet,
                item=item,
                person_name=person_name,
                person_id_hash=protected_lookup_hash(normalize_id_number(id_number)),
                channel=channel,
                phone=phone,
                consent=record,
                due_date=due_date,
                remind_on=max(rules.yearly_remind_on(due_date), clock.today()),
                created_by=staff,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict("此人此事项该期限的提醒已登记。", code="duplicate_reminder") from None
    audit.record(
        staff,
        "outreach.yearly_reminder",
        reminder,
        request=request,
        after={
            "item": item.code,
            "name": mask_name(person_name),
            "channel": channel,
            "phone": mask_phone(phone),
            "relation": relation,
            "consent": record is not None,
            "due_date": due_date.isoformat(),
        },
    )
    return reminder


@transaction.atomic
def withdraw_consent(actor, consent: Consent, *, request=None) -> Consent:
    """The relative no longer wants the reminders: planned ones are cancelled."""
    staff = authorize(actor, "outreach.consent", outlet=consent.outlet_id)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = clock.now()
        consent.save(update_fields=["withdrawn_at"])
        consent.reminders.filter(status=YearlyReminder.PLANNED).update(
            status=YearlyReminder.CANCELLED
        )
        audit.record(staff, "outreach.consent_withdrawn", consent, request=request)
    return consent


def send_yearly_reminders(today: date | None = None, run: JobRun | None = None) -> JobRun:
    """The chore: planned SMS reminders whose day has come, each in its own transaction."""
    today = today or clock.today()
    run = run or JobRun("outreach.yearly_reminders")
    keys = list(
        YearlyReminder.objects.filter(
            status=YearlyReminder.PLANNED, channel=YearlyReminder.SMS, remind_on__lte=today
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    def one(pk):
        r = (
            YearlyReminder.objects.select_for_update(of=("self",))
            .select_related("item", "outlet", "consent")
            .get(pk=pk)
        )
        if r.status != YearlyReminder.PLANNED:
            return None
        if r.consent is not None and r.consent.withdrawn_at is not None:
            r.status = YearlyReminder.CANCELLED
            r.save(update_fields=["status"])
            return None
        queued = queue_message(
            to=r.phone,
            template=rules.YEARLY,
            params={
                "name": mask_name(r.person_name),
                "item": rules.clip(r.item.name, 14),
                "due": f"{r.due_date.month}月{r.due_date.day}日",
                "outlet": rules.clip(r.outlet.name, 12),
            },
            dedupe_key=f"{rules.YEARLY}:{r.pk}",
        )
        # not queued: the phone unsubscribed (or is no longer a mobile number)
        r.status = YearlyReminder.SENT if queued else YearlyReminder.CANCELLED
        r.save(update_fields=["status"])
        return f"reminder {r.pk}" if queued else None

    run.done.extend(run.each(keys, one, label=lambda pk: f"reminder {pk}"))
    return run


# --- unsubscribe ------------------------------------------------------------------------------------


def unsubscribe_token(phone: str) -> str:
    """The signed token of the unsubscribe link (/portal/unsubscribe/<token>/)."""
    return signing.dumps(protected_lookup_hash(phone), salt=UNSUBSCRIBE_SALT, compress=True)


@transaction.atomic
def unsubscribe(phone: str = "", *, token: str = "", via: str = OptOut.LINK) -> OptOut:
    """Record that a phone wants no more messages (from the link's token or a phone number)."""
    if token:
        try:
            digest = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        except signing.BadSignature:
            raise ValidationFailed("退订链接无效。", code="bad_token") from None
        masked = "（链接退订）"
    else:
        if not check_mobile((phone or "").strip()):
            raise ValidationFailed("手机号码格式不正确（应为11位手机号）。", code="bad_phone")
        digest, masked = protected_lookup_hash(phone.strip()), mask_phone(phone.strip())
    optout, created = OptOut.objects.get_or_create(
        phone_hash=digest, defaults={"phone_masked": masked, "via": via, "at": clock.now()}
    )
    if created:
        audit.record("public", "outreach.unsubscribe", optout, after={"via": via})
    return optout


def handle_reply(phone: str, text: str, *, at: datetime | None = None) -> bool:
    """A reply from a phone (the provider's inbound messages): an unsubscribe keyword records the
    opt-out. Returns whether it was one."""
    if not rules.is_unsubscribe(text):
        return False
    unsubscribe(phone, via=OptOut.KEYWORD)
    return True

"""网上申报 (issue #21): the application a citizen or company prepares online, its uploaded files
and the consent behind an agent's application.

An application is a draft until submitted; then it is linked to a case in 网上预审 (cases owns the
lifecycle from there). The owner is a keyed hash of the signed-in ID number (or USCC) + phone, so
a person who only knows someone's ID number never sees their applications. Files live outside
the web root (`storage.py`) and are read only through a view that asks the policy.
"""

from django.db import models

from yimen.catalog.models import Material, ServiceItem
from yimen.core.fields import ProtectedCharField
from yimen.outlets.models import Outlet

from . import rules


class Application(models.Model):
    public_id = models.CharField("申报号", max_length=24, unique=True)
    owner = models.CharField("申报人身份摘要", max_length=64, db_index=True)  # HMAC(ID + phone)
    owner_id_hash = models.CharField(max_length=64, db_index=True)
    item = models.ForeignKey(
        ServiceItem,
        on_delete=models.PROTECT,
        related_name="online_applications",
        verbose_name="事项",
    )
    outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        related_name="online_applications",
        verbose_name="受理网点",
    )
    status = models.CharField(
        "状态", max_length=12, choices=rules.STATUS_CHOICES, default=rules.DRAFT, db_index=True
    )
    # 一件事: the applications of one bundle share a group (one joint form, one merged list);
    # each item is still its own case, pre-checked by its own department
    group = models.CharField("一件事申报号", max_length=24, blank=True, db_index=True)
    bundle_code = models.CharField("一件事编码", max_length=40, blank=True)
    applicant_kind = models.CharField("申请人类型", max_length=10, default="person")
    applicant_name = models.CharField("申请人", max_length=100, blank=True)
    applicant_id_number = ProtectedCharField("申请人证件号码", max_length=64, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    applicant_phone = ProtectedCharField("联系电话", max_length=20, blank=True)
    answers = models.JSONField("情形选择", default=dict, blank=True)
    form = models.JSONField("申请表", default=dict, blank=True)
    checklist = models.JSONField("材料清单", default=list, blank=True)  # tailored at the start
    delivery_method = models.CharField(
        "结果送达方式", max_length=12, choices=rules.DELIVERY_CHOICES, blank=True
    )
    delivery_address = models.CharField("邮寄地址", max_length=200, blank=True)
    pickup_place = models.CharField("自取地点", max_length=100, blank=True)
    case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_application",
        verbose_name="办件",
    )
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    precheck_due = models.DateField("预审期限", null=True, blank=True)
    precheck_status = models.CharField(
        "预审时限", max_length=10, choices=rules.TIME_STATUS_CHOICES, blank=True, db_index=True
    )
    rounds = models.PositiveSmallIntegerField("提交次数", default=0)

    class Meta:
        verbose_name = "网上申报"
        verbose_name_plural = "网上申报"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(case__isnull=False),
                name="online_submitted_has_case",
            ),
        ]

    def __str__(self):
        return f"{self.public_id} {self.item.display_name}"

    @property
    def status_label(self):
        return rules.STATUS_LABELS.get(self.status, self.status)


class Upload(models.Model):
    """One uploaded file for one checklist line. Re-uploading keeps the old file (superseded) so
    the back office sees what was corrected; only the live one counts."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="uploads", verbose_name="申报"
    )
    line = models.PositiveSmallIntegerField("材料序号")  # position in application.checklist
    material = models.ForeignKey(
        Material, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="目录材料"
    )
    name = models.CharField("材料名称", max_length=300)
    source = models.CharField("来源", max_length=12, choices=rules.SOURCE_CHOICES, default="upload")
    licence_ref = models.CharField("电子证照编号", max_length=80, blank=True)
    # what the library answered (type, masked holder, validity, issuer, source URL, simulator):
    # becomes the case's exchange.LicenceUse at acceptance
    licence = models.JSONField("电子证照信息", default=dict, blank=True)
    stored_name = models.CharField("存储文件名", max_length=100, blank=True)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    content_type = models.CharField("文件类型（按内容识别）", max_length=40, blank=True)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_at = models.DateTimeField("上传时间")
    round = models.PositiveSmallIntegerField("第几次提交", default=0)
    superseded = models.BooleanField("已被替换", default=False)

    class Meta:
        verbose_name = "申报材料文件"
        verbose_name_plural = "申报材料文件"
        ordering = ["application", "line", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "line"],
                condition=models.Q(superseded=False),
                name="one_live_upload_per_line",
            ),
        ]

    def __str__(self):
        return f"{self.application.public_id} {self.name}"


class AgentConsent(models.Model):
    """委托: an agent applies for someone else. The consent is recorded (who, how, when) with the
    signed 授权委托书 uploaded, and the principal is told by SMS."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="consent", verbose_name="申报"
    )
    agent_name = models.CharField("代理人", max_length=50)
    agent_id_hash = models.CharField(max_length=64)
    principal_name = models.CharField("委托人", max_length=100)
    principal_phone = ProtectedCharField("委托人电话", max_length=20)
    method = models.CharField("同意方式", max_length=20, choices=rules.CONSENT_CHOICES)
    scope = models.CharField("委托事项", max_length=300)
    document = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="授权委托书"
    )
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "委托同意"
        verbose_name_plural = "委托同意"

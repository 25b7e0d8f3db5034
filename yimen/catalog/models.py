from django.db import models

# Window kinds (DESIGN.md). Stored as the Chinese label: it is what centres write in their
# spreadsheets and what the demo data uses.
WINDOW_KINDS = ["引导台", "综合窗口", "绿色通道", "专业窗口", "银行网点", "帮办代办", "办不成事窗口", "自助"]
WINDOW_KIND_CHOICES = [(k, k) for k in WINDOW_KINDS]

ITEM_TYPES = ["行政许可", "行政确认", "行政给付", "行政征收", "行政奖励", "行政裁决", "行政检查",
              "行政处罚", "行政强制", "其他行政权力", "公共服务"]
ITEM_TYPE_CHOICES = [(t, t) for t in ITEM_TYPES]

LIMIT_UNITS = [("workday", "工作日"), ("calendar_day", "自然日"), ("month", "月")]
MATERIAL_KINDS = [("原件", "原件"), ("复印件", "复印件"), ("电子", "电子")]


class Department(models.Model):
    code = models.CharField("部门编码", max_length=40, unique=True)
    name = models.CharField("部门名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    code = models.CharField("事项编码", max_length=64, unique=True)
    name = models.CharField("事项名称", max_length=300)
    short_name = models.CharField("简称", max_length=100, blank=True)
    parent_name = models.CharField("主项名称", max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="items", verbose_name="实施部门")
    item_type = models.CharField("事项类型", max_length=20, choices=ITEM_TYPE_CHOICES, default="公共服务")
    legal_limit = models.PositiveIntegerField("法定办结时限", null=True, blank=True)
    legal_limit_unit = models.CharField("法定时限单位", max_length=20, choices=LIMIT_UNITS, default="workday")
    promised_limit = models.PositiveIntegerField("承诺办结时限", null=True, blank=True,
                                                 help_text="0 = 即办件")
    promised_limit_unit = models.CharField("承诺时限单位", max_length=20, choices=LIMIT_UNITS, default="workday")
    visits_required = models.PositiveSmallIntegerField("最多跑动次数", default=1)
    fee = models.DecimalField("收费金额（元）", max_digits=10, decimal_places=2, null=True, blank=True,
                              help_text="0 = 不收费；空 = 见收费说明")
    fee_note = models.CharField("收费说明", max_length=300, blank=True)
    payment_methods = models.JSONField("缴费方式", default=list, blank=True)
    target_groups = models.JSONField("服务对象", default=list, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    window_kinds = models.JSONField("受理窗口类型", default=list, blank=True)
    comprehensive = models.BooleanField("综合一窗无差别受理", default=False)
    bank_outlet = models.BooleanField("银行网点可办", default=False)
    green_channel_eligible = models.BooleanField("可走绿色通道", default=False)
    bangban_daiban = models.BooleanField("提供帮办代办", default=False)
    online = models.BooleanField("可网上办理", default=False)
    notes = models.TextField("备注", blank=True)
    source = models.CharField("来源", max_length=40, blank=True)
    source_ref = models.CharField("来源条目", max_length=300, blank=True)
    active = models.BooleanField("在用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(visits_required__lte=10), name="item_visits_reasonable"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def display_name(self):
        return self.short_name or self.name

    @property
    def is_immediate(self) -> bool:
        """即办件: decided and finished at the window."""
        return self.promised_limit == 0


class Material(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials", verbose_name="事项")
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("材料名称", max_length=300)
    kind = models.CharField("形式", max_length=10, choices=MATERIAL_KINDS, default="原件")
    copies = models.PositiveSmallIntegerField("份数", default=1)
    required = models.BooleanField("必需", default=True)
    tolerance = models.BooleanField("可容缺", default=False)
    data_sharing = models.BooleanField("可数据共享调取", default=False)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["item", "position", "id"]
        constraints = [
            # 容缺 applies only to required materials.
            models.CheckConstraint(condition=models.Q(required=True) | models.Q(tolerance=False),
                                   name="material_tolerance_needs_required"),
        ]

    def __str__(self):
        return self.name

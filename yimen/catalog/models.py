from django.db import models

# The constants live in rules.py (pure, importable without Django); re-exported here.
from .rules import (  # noqa: E402,F401
    ITEM_TYPE_CHOICES,
    ITEM_TYPES,
    LIMIT_UNITS,
    MATERIAL_KINDS,
    WINDOW_KIND_CHOICES,
    WINDOW_KINDS,
)


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
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="items", verbose_name="实施部门"
    )
    item_type = models.CharField(
        "事项类型", max_length=20, choices=ITEM_TYPE_CHOICES, default="公共服务"
    )
    legal_limit = models.PositiveIntegerField("法定办结时限", null=True, blank=True)
    legal_limit_unit = models.CharField(
        "法定时限单位", max_length=20, choices=LIMIT_UNITS, default="workday"
    )
    promised_limit = models.PositiveIntegerField(
        "承诺办结时限", null=True, blank=True, help_text="0 = 即办件"
    )
    promised_limit_unit = models.CharField(
        "承诺时限单位", max_length=20, choices=LIMIT_UNITS, default="workday"
    )
    visits_required = models.PositiveSmallIntegerField("最多跑动次数", default=1)
    fee = models.DecimalField(
        "收费金额（元）",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="0 = 不收费；空 = 见收费说明",
    )
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
    # Denormalised for plain search (code, names and keywords in one lower-case text; JSON
    # keywords are stored \u-escaped on SQLite, so they cannot be searched directly).
    search_text = models.TextField("检索文本", blank=True, editable=False)

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visits_required__lte=10), name="item_visits_reasonable"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def build_search_text(self) -> str:
        parts = [self.code, self.name, self.short_name, self.parent_name, *(self.keywords or [])]
        return " ".join(p for p in parts if p).lower()

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        return self.short_name or self.name

    @staticmethod
    def _limit_text(value, unit_label) -> str:
        if value is None:
            return "未规定"
        return f"{value} 个{unit_label}" if unit_label != "月" else f"{value} 个月"

    @property
    def legal_limit_display(self) -> str:
        return self._limit_text(self.legal_limit, self.get_legal_limit_unit_display())

    @property
    def promised_limit_display(self) -> str:
        if self.promised_limit == 0:
            return "即办件（当场办结）"
        return self._limit_text(self.promised_limit, self.get_promised_limit_unit_display())

    @property
    def fee_display(self) -> str:
        if self.fee is None:
            return self.fee_note or "未注明"
        if self.fee == 0:
            return "不收费" + (
                f"（{self.fee_note}）"
                if self.fee_note and self.fee_note not in ("不收费", "免费", "无")
                else ""
            )
        return f"{self.fee:.2f} 元" + (f"（{self.fee_note}）" if self.fee_note else "")

    @property
    def is_immediate(self) -> bool:
        """即办件: decided and finished at the window."""
        return self.promised_limit == 0


class Material(models.Model):
    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="materials", verbose_name="事项"
    )
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
            models.CheckConstraint(
                condition=models.Q(required=True) | models.Q(tolerance=False),
                name="material_tolerance_needs_required",
            ),
        ]

    def __str__(self):
        return self.name

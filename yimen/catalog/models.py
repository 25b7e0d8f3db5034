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


# --- 高效办成一件事: bundles, situations, 告知承诺, complete guides (issue #17) -------------------
VERIFY_METHODS = [
    ("书面", "书面核查"),
    ("网络", "网络核查"),
    ("实地", "实地核查"),
    ("公示", "公示核查"),
]


class Bundle(models.Model):
    """一件事: several items applied for together — one joint form, one merged material list."""

    code = models.CharField("一件事编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    national_ref = models.CharField("国家清单依据", max_length=200, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    # 一表申请: the fields asked once and shared by every item [{key, label, required}]
    form_fields = models.JSONField("联合申请表字段", default=list, blank=True)
    items = models.ManyToManyField(
        ServiceItem, through="BundleItem", related_name="bundles", verbose_name="事项"
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self):
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="bundle_items")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("序号", default=0)

    class Meta:
        verbose_name = "一件事事项"
        verbose_name_plural = "一件事事项"
        ordering = ["bundle", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_once"),
        ]


class BundleMaterial(models.Model):
    """One line of the merged list (一套材料): covers the same material of several items."""

    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, related_name="materials", verbose_name="一件事"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("材料名称", max_length=300)
    kind = models.CharField("形式", max_length=10, choices=MATERIAL_KINDS, default="原件")
    copies = models.PositiveSmallIntegerField("份数", default=1)
    required = models.BooleanField("必需", default=True)
    note = models.CharField("说明", max_length=300, blank=True)
    sources = models.ManyToManyField(
        Material, related_name="bundle_materials", verbose_name="对应事项材料"
    )

    class Meta:
        verbose_name = "一件事材料"
        verbose_name_plural = "一件事材料"
        ordering = ["bundle", "position", "id"]

    def __str__(self):
        return self.name


class ItemQuestion(models.Model):
    """情形化办事指南: a question whose answer adds or removes materials.
    options: [{"value", "label", "add": [{name, kind, copies, required, note}], "remove": [name]}]"""

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="questions", verbose_name="事项"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    key = models.CharField("代码", max_length=40)
    text = models.CharField("问题", max_length=200)
    options = models.JSONField("选项", default=list)

    class Meta:
        verbose_name = "办事情形问题"
        verbose_name_plural = "办事情形问题"
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "key"], name="item_question_key_once"),
        ]


class PromiseTerms(models.Model):
    """告知承诺制 of an item: which materials a written promise may replace (Material.code listed
    in `materials`), the 承诺书 text and how and when the department verifies it."""

    item = models.OneToOneField(
        ServiceItem, on_delete=models.CASCADE, related_name="promise_terms", verbose_name="事项"
    )
    materials = models.JSONField("可承诺替代的材料", default=list)
    text = models.TextField("承诺书正文")
    verify_method = models.CharField("核查方式", max_length=4, choices=VERIFY_METHODS)
    verify_workdays = models.PositiveSmallIntegerField("核查期限（工作日）", default=10)
    basis = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "告知承诺"
        verbose_name_plural = "告知承诺"


class ItemGuide(models.Model):
    """The rest of a complete 办事指南: eligibility, legal basis, process, phones, result sample."""

    item = models.OneToOneField(
        ServiceItem, on_delete=models.CASCADE, related_name="guide", verbose_name="事项"
    )
    eligibility = models.TextField("受理条件", blank=True)
    min_age = models.PositiveSmallIntegerField("最低年龄", null=True, blank=True)
    legal_basis = models.TextField("设定依据", blank=True)
    process = models.JSONField("办理流程", default=list, blank=True)
    payment_note = models.CharField("缴费方式说明", max_length=300, blank=True)
    consult_phone = models.CharField("咨询电话", max_length=40, blank=True)
    complaint_phone = models.CharField("监督投诉电话", max_length=40, blank=True)
    result_name = models.CharField("办理结果", max_length=100, blank=True)
    result_sample = models.TextField("结果样本说明", blank=True)

    class Meta:
        verbose_name = "办事指南补充"
        verbose_name_plural = "办事指南补充"

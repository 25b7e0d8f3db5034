"""Card reads handed from a hall's ID-card reader to the page that asked for them.

A read lives for minutes: the kiosk or the window takes it (or it expires and is purged on the
next read). Name and ID number are encrypted at rest, as everywhere else."""

from django.db import models

from yimen.core.fields import ProtectedCharField
from yimen.outlets.models import Outlet


class CardRead(models.Model):
    reader = models.CharField("读卡端", max_length=40, db_index=True)  # token:<id> | staff:<id>
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, verbose_name="网点")
    name = ProtectedCharField("姓名", max_length=40)
    id_number = ProtectedCharField("身份证号", max_length=18)
    read_at = models.DateTimeField("读卡时间")
    taken_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "身份证读卡"
        verbose_name_plural = "身份证读卡"
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.reader} {self.read_at:%H:%M:%S}"

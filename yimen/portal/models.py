"""The portal's own table: one-time codes of the citizen's "我的" sign-in (SMS through the outbox).

Nothing here is in the clear: the person is a keyed hash of ID number + phone, the code a keyed
hash too; the SMS's parameters are wiped by the outbox after delivery (sensitive=True)."""

from django.db import models


class MineCode(models.Model):
    person = models.CharField("身份摘要", max_length=64, db_index=True)  # HMAC(ID + phone)
    id_hash = models.CharField(max_length=64)  # protected_lookup_hash of the ID number
    code_hash = models.CharField(max_length=64)
    ip = models.CharField("来源地址", max_length=45, db_index=True)
    sent = models.BooleanField("已发送", default=False)  # the pair was found in the records
    created_at = models.DateTimeField("发送时间", db_index=True)
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "“我的”验证码"
        verbose_name_plural = "“我的”验证码"
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.person[:8]}"

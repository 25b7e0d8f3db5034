from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarYear, HolidayDay
from .selectors import invalidate_calendar_cache


@receiver([post_save, post_delete], sender=HolidayDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs):
    invalidate_calendar_cache()

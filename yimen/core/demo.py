from django.conf import settings

from .services import import_holiday_dir


def load(stdout=None):
    results = import_holiday_dir(settings.DATA_DIR / "holidays")
    return "节假日：" + "，".join(f"{r['year']}年{r['days']}天" for r in results)

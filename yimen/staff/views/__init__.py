"""Staff pages, by concern; every view is re-exported here for `staff/urls.py` and older imports."""

from .desk import (
    login_totp_view as login_totp_view,
    login_view as login_view,
    logout_view as logout_view,
    totp_enrol_view as totp_enrol_view,
    window_view as window_view,
    workbench as workbench,
)
from .people import (
    people_view as people_view,
    person_view as person_view,
    rota_change as rota_change,
    rota_export as rota_export,
    rota_view as rota_view,
)

"""Pages of 好差评 and 办不成事, by concern; every view is re-exported here for
`feedback/urls.py` and older imports."""

from .grievances import (
    grievance_detail as grievance_detail,
    grievance_new as grievance_new,
    grievance_slip as grievance_slip,
    materials as materials,
    public_status as public_status,
)
from .ratings import (
    dashboard as dashboard,
    rate as rate,
    rectification_detail as rectification_detail,
    window_rate as window_rate,
)

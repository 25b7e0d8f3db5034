"""Reads of the queue: routing a request to a queue, window profiles for the dispatch policy,
ticket status (position, people ahead, estimated wait), boards, appointment slots.

A package by concern: config (outlets, windows, queues, items; cached until configuration
changes), dispatch (routing a request to a queue, window profiles and the dispatch order), hall
(the hall's cached state the fast path reads; in queueing/fastpath/hall.py), status (a ticket's position and estimated wait),
boards, appointments (slots). Every name is re-exported here.
"""

from .appointments import (
    available_slots as available_slots,
    get_appointment as get_appointment,
    slot_minutes as slot_minutes,
    within_booking_horizon as within_booking_horizon,
)
from .boards import (
    CALL_ACTIONS as CALL_ACTIONS,
    _board as _board,
    _board_key as _board_key,
    _boards as _boards,
    _call_payload as _call_payload,
    announcement as announcement,
    board as board,
    board_events_after as board_events_after,
    board_queues as board_queues,
    call_payload as call_payload,
    keep_board_fresh as keep_board_fresh,
    latest_event_id as latest_event_id,
    peek_board as peek_board,
    warm_up as warm_up,
)
from .config import (
    DEFAULT_SERVICE_MINUTES as DEFAULT_SERVICE_MINUTES,
    GREEN as GREEN,
    KIND_PREFERENCE as KIND_PREFERENCE,
    WEEKDAYS as WEEKDAYS,
    QueueInfo as QueueInfo,
    _config as _config,
    _queue_infos as _queue_infos,
    format_when as format_when,
    get_outlet as get_outlet,
    get_ticket as get_ticket,
    get_window as get_window,
    local_date as local_date,
    outlet_by_code as outlet_by_code,
    outlet_by_id as outlet_by_id,
    queue_by_id as queue_by_id,
    queue_infos as queue_infos,
    resolve_items as resolve_items,
    schedule as schedule,
)
from .dispatch import (
    WindowSetup as WindowSetup,
    _item_codes as _item_codes,
    dispatch_order as dispatch_order,
    dispatch_policy as dispatch_policy,
    needs_items as needs_items,
    plan_legs as plan_legs,
    route as route,
    waiting_for as waiting_for,
    window_history as window_history,
    window_profile as window_profile,
    window_queue as window_queue,
    window_setup as window_setup,
)
from .hall import (
    FAST_LANE_STALENESS as FAST_LANE_STALENESS,
    HallState as HallState,
    _hall as _hall,
    _hall_entries as _hall_entries,
    _halls as _halls,
    _staleness as _staleness,
    hall_sessions as hall_sessions,
    hall_state as hall_state,
    keep_hall_fresh as keep_hall_fresh,
    peek_hall_state as peek_hall_state,
    peek_outlet as peek_outlet,
    peek_window_setup as peek_window_setup,
)
from .holder import (
    holder_appointment as holder_appointment,
    holder_ticket as holder_ticket,
    is_public_id as is_public_id,
)
from .status import (
    _estimates as _estimates,
    _ticket_items as _ticket_items,
    average_service_minutes as average_service_minutes,
    remember_ticket_items as remember_ticket_items,
    serving_windows as serving_windows,
    ticket_items as ticket_items,
    ticket_status as ticket_status,
)
from .visits import (
    current_leg_items as current_leg_items,
    legs_of as legs_of,
    next_stop as next_stop,
)

"""Listens to other apps' signals.

- cases `hard_case_recorded`: the window recorded an application as 很难办 (a key material that may
  not be accepted under 容缺 is missing). We open the 办不成事 grievance, which enters level 1 of the
  outlet's escalation ladder at once, and tell the case which grievance took it over.
"""

import logging

from django.dispatch import receiver

from yimen.cases.signals import hard_case_recorded

log = logging.getLogger("yimen.feedback")


@receiver(hard_case_recorded, dispatch_uid="feedback.open_grievance_for_hard_case")
def open_grievance_for_hard_case(sender, case, actor=None, reason="", missing=(), **kwargs):
    from yimen.cases import services as case_services

    from . import rules, services

    g = services.submit_grievance(
        outlet=case.outlet,
        category=rules.HARD,
        case=case,
        description=reason or case.hard_case_reason,
        phone=case.applicant_phone,
        applicant_name=case.applicant_name,
        id_number=case.applicant_id_number,
        missing_materials=list(missing),
        channel="window",
        actor=actor,
    )
    case_services.link_grievance(case, g.number, actor=actor)
    return g.number

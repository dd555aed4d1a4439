"""Every write to the returns domain goes through these functions."""

from rma.notifications import outbox_enqueue
from rma.services.centres import centre_check, centre_route, rma_assign, rma_take
from rma.services.closing import rma_close, rma_path, rma_refund
from rma.services.compensation import compensation_approve, compensation_assess
from rma.services.devices import (
    customer_get_or_create,
    customer_language_set,
    device_create,
    device_extend_warranty,
    device_get,
    device_lock_in_service,
    device_put_in_service,
    device_update,
    device_warranty_end,
    product_model_set_warranty,
    replacement_device_take,
)
from rma.services.erasure import ErasureReport, customer_erase
from rma.services.follow_ups import follow_up_answer, follow_ups_queue_due
from rma.services.goodwill import goodwill_eligibility, goodwill_grant
from rma.services.imports import DeviceImportResult, devices_import, devices_import_csv
from rma.services.ownership import (
    proof_of_purchase_add,
    rma_confirm_ownership,
    rma_refuse_ownership,
    rma_supersede,
)
from rma.services.quotes import rma_accept_quote, rma_decline_quote, rma_quote
from rma.services.returns import (
    rma_add_note,
    rma_authorize,
    rma_cancel,
    rma_coverage_decide,
    rma_create,
    rma_dispose_unit,
    rma_expire_stale_authorizations,
    rma_receive,
    rma_record_diagnosis,
    rma_reject,
    rma_repair,
    rma_replace,
    rma_retain_unit,
    rma_ship,
    rma_start_diagnosis,
)
from rma.services.transitions import Change, actor_may, record_event, rma_transition
from rma.status_links import status_link_issue

__all__ = [
    "Change",
    "DeviceImportResult",
    "ErasureReport",
    "actor_may",
    "centre_check",
    "centre_route",
    "compensation_approve",
    "compensation_assess",
    "customer_erase",
    "customer_get_or_create",
    "customer_language_set",
    "device_create",
    "device_extend_warranty",
    "device_get",
    "device_lock_in_service",
    "device_put_in_service",
    "device_update",
    "device_warranty_end",
    "devices_import",
    "devices_import_csv",
    "follow_up_answer",
    "follow_ups_queue_due",
    "goodwill_eligibility",
    "goodwill_grant",
    "outbox_enqueue",
    "product_model_set_warranty",
    "proof_of_purchase_add",
    "record_event",
    "replacement_device_take",
    "rma_accept_quote",
    "rma_add_note",
    "rma_assign",
    "rma_authorize",
    "rma_cancel",
    "rma_close",
    "rma_confirm_ownership",
    "rma_coverage_decide",
    "rma_create",
    "rma_decline_quote",
    "rma_dispose_unit",
    "rma_expire_stale_authorizations",
    "rma_path",
    "rma_quote",
    "rma_receive",
    "rma_record_diagnosis",
    "rma_refund",
    "rma_refuse_ownership",
    "rma_reject",
    "rma_repair",
    "rma_replace",
    "rma_retain_unit",
    "rma_ship",
    "rma_start_diagnosis",
    "rma_supersede",
    "rma_take",
    "rma_transition",
    "status_link_issue",
]

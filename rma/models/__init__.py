"""The returns domain: product models, devices (the installed base), customers, RMAs and their history.

By topic: ``units`` (product models, customers, devices), ``returns`` (the RMA), ``records`` (its
append-only history and what it sent), ``money`` (compensation and refunds).
"""

from rma.models.money import (
    Compensation,
    CompensationKind,
    CompensationStatus,
    QuoteAnswerChannel,
    Refund,
    RefundMethod,
)
from rma.models.records import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    CustodyChange,
    FollowUp,
    FollowUpAnswer,
    OutboxMessage,
    OutboxQueue,
    OutboxStatus,
    RMAEvent,
    Source,
    StatusLink,
)
from rma.models.returns import (
    RMA,
    GoodwillGrant,
    ProofOfPurchase,
    RMAChannel,
    RMACoverage,
    RMADisposition,
    RMAOwnership,
    RMAQuoteStatus,
    RMAResolution,
    RMAStatus,
    proof_of_purchase_path,
)
from rma.models.units import (
    ERASED_EMAIL_DOMAIN,
    Customer,
    Device,
    ProductModel,
    is_erased_email,
)

__all__ = [
    "ERASED_EMAIL_DOMAIN",
    "RMA",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "Compensation",
    "CompensationKind",
    "CompensationStatus",
    "CustodyChange",
    "Customer",
    "Device",
    "FollowUp",
    "FollowUpAnswer",
    "GoodwillGrant",
    "OutboxMessage",
    "OutboxQueue",
    "OutboxStatus",
    "ProductModel",
    "ProofOfPurchase",
    "QuoteAnswerChannel",
    "RMAChannel",
    "RMACoverage",
    "RMADisposition",
    "RMAEvent",
    "RMAOwnership",
    "RMAQuoteStatus",
    "RMAResolution",
    "RMAStatus",
    "Refund",
    "RefundMethod",
    "Source",
    "StatusLink",
    "is_erased_email",
    "proof_of_purchase_path",
]

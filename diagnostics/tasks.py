from celery import shared_task

from diagnostics import advisories, programmes
from diagnostics.detection import scan


@shared_task(
    name="diagnostics.tasks.advisory_notify_owners",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def advisory_notify_owners_task(advisory_id: int) -> int:
    """E-mail the owners of an advisory's affected units (idempotent: resumes, never sends twice)."""
    return advisories.advisory_owner_emails_queue(advisory_id=advisory_id)


@shared_task(
    name="diagnostics.tasks.detect_faults",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def detect_faults_task() -> int:
    """The nightly scan: raise and update fault signals as of today. Safe to run twice at once."""
    return len(scan.detect_faults(settings=scan.settings_from_config()).raised)


@shared_task(name="diagnostics.tasks.programme_notify_owners", acks_late=True, reject_on_worker_lost=True)
def programme_notify_owners_task(programme_id: int) -> int:
    """Write the programme's notices to its owners' outbox (idempotent: each owner once, whoever runs it)."""
    return programmes.programme_owner_emails_queue(programme_id=programme_id)

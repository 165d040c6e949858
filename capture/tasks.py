from __future__ import annotations

import logging

from core.tasks import crm_task

logger = logging.getLogger(__name__)


@crm_task
def imap_poll() -> None:
    """Celery beat, every CAPTURE_IMAP_POLL_SECONDS while IMAP_URL is set: read the new mail once."""
    from capture import imap

    config = imap.configured()
    if config is None:
        return
    report = imap.imap_poll(config=config)
    logger.info(
        "capture: IMAP poll: %s captured, %s seen before, %s failed, errors: %s",
        report.captured, report.seen_before, report.failed, report.errors or "none",
    )  # fmt: skip


@crm_task
def meetings_log_due() -> None:
    """Celery beat, every few minutes: meetings learnt from invitations that have ended become interactions."""
    from capture import services

    logged = services.meetings_log_due()
    if logged:
        logger.info("capture: %s meetings from invitations logged", logged)


@crm_task
def personal_mailboxes_poll() -> None:
    """Celery beat, every CAPTURE_IMAP_POLL_SECONDS: the mailboxes account managers connected themselves."""
    from capture import imap

    report = imap.personal_mailboxes_poll()
    if report.captured or report.errors:
        logger.info("capture: personal mailboxes: %s captured, errors: %s", report.captured, report.errors or "none")

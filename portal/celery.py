"""The Celery application and the one place where periodic jobs are scheduled."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_prerun

from portal.observability import task_request_id_bind

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry its id where a request's carry the request id.
task_prerun.connect(task_request_id_bind, weak=False)

# Every job selects what is due and not yet done, so a missed or repeated run is harmless.
app.conf.beat_schedule = {
    # Every day at 03:10 Tunis time: numbers whose quarantine is over go back to the pool (R17.3).
    "number-release-quarantined": {
        "task": "subscriptions.tasks.release_quarantined_numbers",
        "schedule": crontab(hour=3, minute=10),
    },
    # Every day at 03:20 Tunis time: prepaid lines whose validity, grace or preservation ended
    # move on (R2.7 to R2.9); a number lost goes to quarantine (R17.3).
    "prepaid-life-cycle": {
        "task": "subscriptions.tasks.run_prepaid_sweep",
        "schedule": crontab(hour=3, minute=20),
    },
    # On the 1st of each month at 02:00: bill the month that just ended (R9.1); a rerun or a
    # late start bills only the accounts not yet invoiced.
    "billing-monthly-run": {
        "task": "billing.tasks.start_monthly_billing",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
    # Every day at 06:00: advance payment requests for accounts over their credit limit or late
    # with an invoice (R11.2); an account already asked is not asked again.
    "billing-credit-control": {
        "task": "billing.tasks.run_credit_control",
        "schedule": crontab(hour=6, minute=0),
    },
    # Every 5 minutes: objections whose delivery task was lost, or whose claim is a dead
    # worker's, are enqueued again after OUTBOX_STALE_SECONDS (R21.3).
    "privacy-resend-overdue-deliveries": {
        "task": "privacy.tasks.resend_overdue_deliveries",
        "schedule": crontab(minute="*/5"),
    },
    # Every 10 minutes: electronic invoices whose sending was lost or is waiting for TTN's
    # answer are sent again under their key, which TTN registers once (einvoicing/).
    "einvoicing-resend-due": {
        "task": "einvoicing.tasks.resend_due_einvoices",
        "schedule": crontab(minute="*/10"),
    },
    # Every minute: the API's events (new bills, bill states, privacy choices) and their
    # deliveries that are due.
    "api-collect-events": {
        "task": "api.tasks.collect_events",
        "schedule": crontab(minute="*"),
    },
    # Every day at 04:40: the bill changes older than a day, which no page of bills kept by a
    # web process can need (api.bill_changes).
    "api-prune-bill-changes": {
        "task": "api.tasks.prune_bill_changes",
        "schedule": crontab(hour=4, minute=40),
    },
    # Every day at 04:20: copies of customers' data past their date are deleted (R21.1).
    "privacy-expire-access-exports": {
        "task": "privacy.tasks.expire_access_exports",
        "schedule": crontab(hour=4, minute=20),
    },
    # Every hour at :20: lines whose file is still incomplete at its deadline (3 days after
    # activation, to the hour) are suspended, complete ones restored, and those still incomplete
    # after the grid's days terminated (R13.1, R17.1).
    "suspensions-incomplete-files": {
        "task": "subscriptions.tasks.run_sweep",
        "schedule": crontab(minute=20),
        "args": ["incomplete_files"],
    },
    # Every day at 06:10, before the suspensions: customers whose lines an unpaid invoice will
    # suspend within the grid's days get an e-mail and an SMS, once per invoice (R10.4).
    "billing-warn-before-suspension": {
        "task": "billing.tasks.warn_before_suspension",
        "schedule": crontab(hour=6, minute=10),
    },
    # Every 10 minutes: warnings and payment receipts whose queued send was lost are queued
    # again; each goes out once.
    "billing-notices-redelivery": {
        "task": "billing.tasks.resend_billing_notices",
        "schedule": crontab(minute="*/10"),
    },
    # Every day at 06:30: every line of a customer with an invoice unpaid after its due date plus
    # the grid's delay is suspended, and those of customers who paid are restored (R10.4).
    "suspensions-overdue-invoices": {
        "task": "subscriptions.tasks.run_sweep",
        "schedule": crontab(hour=6, minute=30),
        "args": ["overdue_invoices"],
    },
    # Every day at 06:40, after the 06:00 credit control: lines of accounts over their limit or
    # late with an advance are suspended, and restored once it is paid (R11.2, R13.1).
    "suspensions-credit-control": {
        "task": "subscriptions.tasks.run_sweep",
        "schedule": crontab(hour=6, minute=40),
        "args": ["credit_control"],
    },
    # Every day at 04:00: lines suspended beyond the grid's limit without extra time are
    # terminated by right, the rest of the minimum period charged (R17.5).
    "suspensions-termination-by-right": {
        "task": "subscriptions.tasks.run_sweep",
        "schedule": crontab(hour=4, minute=0),
        "args": ["terminations"],
    },
    # Every day at 04:30, after the terminations by right: lines whose termination letter takes
    # effect today or earlier end, with their final invoice and deposit refund (R16.1, R10.2).
    "terminations-effective-date": {
        "task": "terminations.tasks.end_due_terminations",
        "schedule": crontab(hour=4, minute=30),
    },
    # Every 15 minutes: notifications of changes of conditions whose job was lost or interrupted
    # resume; customers notified already are not notified again (R5.1).
    "conditions-resume-notifications": {
        "task": "terminations.tasks.resume_conditions_notifications",
        "schedule": crontab(minute="*/15"),
    },
    # Every 5 minutes: invoices without their PDF or mail (or claimed by a worker that died),
    # billing runs left running by an outage, incomplete paper batches and usage imports
    # without progress are queued again (billing/outbox.py); what is done already is not done
    # twice.
    "billing-redelivery": {
        "task": "billing.tasks.redeliver_billing",
        "schedule": crontab(minute="*/5"),
    },
    # Every 10 minutes: provisioning orders and customer notifications whose queued send was
    # lost (a worker killed, the broker down), and those a dead worker claimed, are queued again
    # after OUTBOX_STALE_SECONDS; their keys and claims make a second send harmless.
    "outbox-redelivery": {
        "task": "subscriptions.tasks.redeliver_outbox",
        "schedule": crontab(minute="*/10"),
    },
    # Every 5 minutes: passes whose week, month or year ended are renewed (paid from the
    # balance or charged to the account) or ended, their customers told once (R1.2, R10.6).
    "passes-renewals": {
        "task": "passes.tasks.renew_passes",
        "schedule": crontab(minute="*/5"),
    },
    # Every 10 minutes: partner interruption notices whose job was lost resume, and the days of
    # closed scopes not yet credited are credited, once (RK.2, RK.3).
    "passes-interruption-jobs": {
        "task": "passes.tasks.resume_interruption_jobs",
        "schedule": crontab(minute="*/10"),
    },
}

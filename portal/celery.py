"""The Celery application and the one place where periodic jobs are scheduled."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
    # Every day at 06:00: advance payment requests for accounts over their credit limit or late
    # with an invoice (R11.2); an account already asked is not asked again.
    "billing-credit-control": {
        "task": "billing.tasks.run_credit_control",
        "schedule": crontab(hour=6, minute=0),
    },
    "billing-monthly-run": {
        "task": "billing.tasks.start_monthly_billing",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
}

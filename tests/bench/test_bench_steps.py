"""Each `make bench` step runs on a few rows, so that the bench cannot rot unseen (issue 17):
its data builders, its assertions and its figures' names, on the suite's database."""

import importlib

import pytest

from catalogue.grid_file import grid_load
from catalogue.management.commands.grid_load import DEMO_GRID
from portal.celery import app
from subscriptions.demo import demo_load

SMALL = {
    "pages": {"LINES": 3, "MONTHS": 2, "INVOICES": 4, "ROUNDS": 1, "BURST": 2},
    "pdfs": {"INVOICES": 4, "ROUNDS": 1, "PROCESS_ROUNDS": 1},
    "billing": {"ACCOUNTS": 30},
    "imports": {"ROWS": 2000, "LINES": 20},
    "sweeps": {"LINES": 60},
    "interruptions": {"LINES": 30},
}


@pytest.fixture
def celery_conf_kept():
    """The billing and sweep steps send their side effects to a broker, as in production."""
    kept = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    yield
    app.conf.update(**kept)


# Transactional: the pdf and billing steps fork processes that read what this one wrote.
# serialized_rollback: the closing flush leaves the staff groups the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("step", list(SMALL))
def test_each_bench_step_runs_and_reports_its_figures(
    step, celery_conf_kept, monkeypatch, settings
):
    settings.ALLOWED_HOSTS = ["testserver"]
    monkeypatch.setenv("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
    grid_load(DEMO_GRID)
    demo_load()
    module = importlib.import_module(f"bench.{step}")
    for name, value in SMALL[step].items():
        monkeypatch.setattr(module, name, value)
    figures = []
    module.run(
        lambda name, value, unit: figures.append((name, unit)),
        lambda action, rounds=1: (action(), 1.0)[1],
    )
    assert figures, f"the {step} step reported nothing"
    assert all(unit for _, unit in figures)

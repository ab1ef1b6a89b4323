"""Fixtures of the billing tests."""

from pathlib import Path

import pytest


@pytest.fixture
def private_storage(settings, tmp_path) -> Path:
    """Each test stores its PDFs in its own directory (numbers restart with every test)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path

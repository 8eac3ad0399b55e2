"""The sample tenant most ML unit tests share (generated once per session)."""

from __future__ import annotations

import pytest

from shared.ml.frames import TenantHistory
from shared.sample_data import generate


@pytest.fixture(scope="session")
def tenant():
    return generate(orders=6000, seed=21, unlabeled_fraction=0.1)


@pytest.fixture(scope="session")
def history(tenant):
    return TenantHistory.from_tenant(tenant)

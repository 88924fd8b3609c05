"""Shared fixtures for the whole test suite."""

import zlib

import numpy as np
import pytest

from tests import utils


@pytest.fixture(autouse=True)
def _seed_random_data(request: pytest.FixtureRequest) -> None:
    """Each test gets the same random data whatever ran before it (xdist reorders tests)."""
    utils._RNG = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))

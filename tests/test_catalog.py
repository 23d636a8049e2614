"""Every catalog claim as one test item (id = claim id), checked under the
``--claims-*`` options. See ``claims/pytest_plugin.py``."""

import pytest

from claims.pytest_plugin import catalog_params


@pytest.mark.parametrize("claim", catalog_params())
def test_claim(claim, claims_check):
    claims_check(claim)

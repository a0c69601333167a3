"""Every number a user can type as a profile setting is bounded (issue #15)."""

from __future__ import annotations

import pytest

from cskpi.errors import UsageError
from cskpi.metrics.profiles import resolve


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "-1", "2e6"])
def test_non_finite_or_huge_settings_are_refused(value):
    with pytest.raises(UsageError) as err:
        resolve("generic", {"attribution_window_h": value})
    assert "out of range" in err.value.message


def test_ordinary_settings_still_work():
    assert resolve("generic", {"attribution_window_h": "3d"}).attribution_window_h == 72.0

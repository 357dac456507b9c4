"""Integration tests (README example, notebooks, demo, scripts): every test here is `slow`.

`make test` runs them (CI uses it); `make test-fast` leaves them out.
"""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.slow)

"""Shared fixtures. Browser tests use Debian's Chromium through pytest-playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from digitnet.web.local import CHROMIUM, CHROMIUM_FLAGS, serve_in_thread

# The page on a local port in a thread, and how Chromium is started: shared with benchmarks.
running_server = serve_in_thread


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' own digitnet cache folder ($DIGITNET_CACHE, inherited by the commands they
    run), so that they neither read nor fill the user's ~/.cache/digitnet."""
    before = os.environ.get("DIGITNET_CACHE")
    os.environ["DIGITNET_CACHE"] = str(tmp_path_factory.mktemp("digitnet-cache"))
    yield
    if before is None:
        del os.environ["DIGITNET_CACHE"]
    else:
        os.environ["DIGITNET_CACHE"] = before


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (``playwright install`` cannot download browsers here)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }

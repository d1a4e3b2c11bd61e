"""What the routers share, kept on ``app.state`` by :func:`digitnet.web.app.create_app`.

Endpoints ask for them as FastAPI dependencies: ``store: Store``, ``runs: Runs``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from digitnet.web.models import ModelStore
from digitnet.web.runs import RunManager


async def get_store(request: Request) -> ModelStore:
    """The app's models: the shipped ones, the saved ones and the one the page starts with."""
    store: ModelStore = request.app.state.store
    return store


async def get_runs(request: Request) -> RunManager:
    """The app's training runs."""
    runs: RunManager = request.app.state.runs
    return runs


async def get_max_body(request: Request) -> int:
    """The largest request body the app accepts, in bytes."""
    limit: int = request.app.state.max_body
    return limit


Store = Annotated[ModelStore, Depends(get_store)]
Runs = Annotated[RunManager, Depends(get_runs)]
MaxBody = Annotated[int, Depends(get_max_body)]

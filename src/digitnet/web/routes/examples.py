"""MNIST test digits for the page: one by number, a random one, and the ones a model gets
wrong."""

from __future__ import annotations

import random
from typing import Any

from fastapi import APIRouter

from digitnet.web.errors import ApiError
from digitnet.web.models import Mistakes
from digitnet.web.state import Store

router = APIRouter()


def _test_set() -> Any:
    from digitnet.data import load_mnist

    return load_mnist().test


def _example(index: int) -> dict[str, Any]:
    """Test digit ``index`` with its label, or a 404 ApiError."""
    test = _test_set()
    if not 0 <= index < len(test):
        raise ApiError(404, f"there are {len(test):,} test digits (0 to {len(test) - 1})")
    return {
        "index": index,
        "label": int(test.labels[index]),
        "width": 28,
        "height": 28,
        "pixels": test.images[index].reshape(-1).tolist(),
    }


def _mistake_items(found: Mistakes, offset: int, limit: int) -> list[dict[str, Any]]:
    """Mistakes ``offset`` to ``offset + limit - 1`` with their pictures."""
    test = _test_set()
    items = []
    for k in range(offset, min(offset + limit, len(found.indices))):
        i = int(found.indices[k])
        items.append(
            {
                "position": k,
                "index": i,
                "label": int(found.labels[k]),
                "predicted": int(found.predicted[k]),
                "confidence": round(float(found.confidence[k]), 4),
                "pixels": test.images[i].reshape(-1).tolist(),
            }
        )
    return items


@router.get("/api/examples/random")
def random_example() -> dict[str, Any]:
    """A random MNIST test digit with its label."""
    return _example(random.randrange(len(_test_set())))


@router.get("/api/examples/mistakes")
def mistakes(
    store: Store, model: str | None = None, offset: int = 0, limit: int = 24
) -> dict[str, Any]:
    """The test digits the model gets wrong, with the right answer and the network's."""
    name = model or store.default
    if offset < 0 or not 1 <= limit <= 100:
        raise ApiError(422, "offset must be 0 or more and limit 1 to 100")
    found = store.mistakes(name)
    return {
        "model": name,
        "accuracy": found.accuracy,
        "tested": found.total,
        "wrong": len(found.indices),
        "offset": offset,
        "items": _mistake_items(found, offset, limit),
    }


@router.get("/api/examples/{index}")
def example(index: int) -> dict[str, Any]:
    """MNIST test digit number ``index`` (0..9999) with its label."""
    return _example(index)

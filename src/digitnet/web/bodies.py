"""The JSON bodies the API accepts, as pydantic models (unknown fields are refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.costs import COSTS
from digitnet.optimizers import OPTIMIZERS, SCHEDULES

SHOWN_DEFAULT = 16  # hidden neurons drawn per layer; wider layers show their most active ones
MAX_HIDDEN = 2048
MAX_TRAIN_IMAGES = 50_000


class PredictBody(BaseModel):
    """A picture to read: grey pixels 0..255 (ink bright), row by row."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    width: int
    height: int
    pixels: list[float]
    preprocess: bool = True
    show: int = Field(SHOWN_DEFAULT, ge=1, le=64)


class NeuronBody(BaseModel):
    """The input layer's 784 activations (0..1) to compute a neuron's sum for."""

    model_config = ConfigDict(extra="forbid")
    input: list[float] | None = None


class RunBody(BaseModel):
    """Settings of a training run."""

    model_config = ConfigDict(extra="forbid")
    layers: list[int] = Field(default_factory=lambda: [784, 16, 16, 10], min_length=2, max_length=6)
    hidden_activation: Literal[HIDDEN_ACTIVATIONS] = "sigmoid"  # type: ignore[valid-type]
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "sigmoid"  # type: ignore[valid-type]
    init: Literal["normal", "xavier", "he"] = "xavier"
    cost: Literal[tuple(COSTS)] = "cross_entropy"  # type: ignore[valid-type]
    optimizer: Literal[OPTIMIZERS] = "adam"  # type: ignore[valid-type]
    learning_rate: float = Field(0.005, gt=0, le=100)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0, le=1)
    schedule: Literal[SCHEDULES] = "constant"  # type: ignore[valid-type]
    batch_size: int = Field(32, ge=1, le=10_000)
    epochs: int = Field(5, ge=1, le=100)
    limit: int = Field(MAX_TRAIN_IMAGES, ge=10, le=MAX_TRAIN_IMAGES)
    validation_size: int = Field(10_000, ge=0, le=10_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class SaveBody(BaseModel):
    """The name to save a run's network under."""

    model_config = ConfigDict(extra="forbid")
    name: str
    overwrite: bool = False

"""The JSON bodies the API accepts, as pydantic models (unknown fields are refused).

The endpoints declare them as FastAPI body parameters (``body: PredictBody``), so
``/api/openapi.json`` describes every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from digitnet.recipe import MAX_LAYERS, PRESETS, describe_options

SHOWN_DEFAULT = 16  # hidden neurons drawn per layer; wider layers show their most active ones


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


def run_body() -> type[BaseModel]:
    """The body of ``POST /api/runs``, made from :class:`~digitnet.recipe.Recipe`: one field
    per option the page may set, with the ``page`` preset's default, the recipe's limits (the
    page's tighter ones where it has them) and its choices; plus ``preset``, whose values the
    fields given explicitly override."""
    fields: dict[str, Any] = {
        "preset": (Literal[tuple(PRESETS)], Field("page", description="the named recipe"))
    }
    for option in describe_options(page=True):
        name, default = option["name"], option["default"]
        limits = {
            key: option[name_in_recipe]
            for key, name_in_recipe in (("ge", "minimum"), ("le", "maximum"), ("gt", "above"))
            if option[name_in_recipe] is not None
        }
        if option["below"] is not None:
            limits["lt"] = option["below"]
        if option["choices"]:
            kind: Any = Literal[tuple(option["choices"])]
        elif name == "layers":
            kind, limits = list[int], {"min_length": 2, "max_length": MAX_LAYERS}
        else:
            kind = type(default)
        fields[name] = (kind, Field(default, description=option["help"], **limits))
    model: type[BaseModel] = create_model(
        "RunBody", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


#: Settings of a training run (see :func:`run_body`).
RunBody = run_body()

# An endpoint's annotation for RunBody: FastAPI reads the class made above, while a type
# checker (which cannot see a class made at run time) sees a pydantic model.
if TYPE_CHECKING:
    RunBodyModel = BaseModel
else:
    RunBodyModel = RunBody


class SaveBody(BaseModel):
    """The name to save a run's network under."""

    model_config = ConfigDict(extra="forbid")
    name: str
    overwrite: bool = False

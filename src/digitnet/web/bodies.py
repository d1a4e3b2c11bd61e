"""The JSON bodies the API accepts, as pydantic models (unknown fields are refused).

The endpoints declare them as FastAPI body parameters (``body: PredictBody``), so
``/api/openapi.json`` describes every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, create_model

from digitnet.recipe import MAX_LAYERS, PRESETS, describe_options

SHOWN_DEFAULT = 16  # hidden neurons drawn per layer; wider layers show their most active ones


class PredictBody(BaseModel):
    """A picture to read: grey pixels 0..255 (ink bright), row by row, sent either as a list
    of numbers (``pixels``) or as base64 of one byte per pixel (``pixels_b64``)."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = Field(None, description="the model to read with (default: the server's)")
    width: int = Field(description="pixels per row: 8 to 512 (28 without preprocessing)")
    height: int = Field(description="rows: 8 to 512 (28 without preprocessing)")
    # Checked by the endpoint with NumPy, which is several times faster than pydantic's
    # element by element validation of 12,544 numbers (see digitnet.web.routes.predict).
    pixels: Annotated[list[float] | None, SkipValidation] = Field(
        None, description="width * height numbers from 0 to 255, row by row"
    )
    pixels_b64: str | None = Field(
        None,
        description="instead of pixels: standard base64 of width * height bytes (one byte, "
        "0 to 255, per pixel, row by row): a smaller body, far quicker to read",
    )
    preprocess: bool = Field(True, description="MNIST-style preprocessing (false: 28x28 as is)")
    steps: bool = Field(
        True, description="send the preprocessing steps' pictures (false: `steps` is null)"
    )
    show: int = Field(SHOWN_DEFAULT, ge=1, le=64, description="hidden neurons drawn per layer")


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

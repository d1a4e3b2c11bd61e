"""Every ``/api/...`` path no other router knows: a 404 naming the method and the path.

Included last, so that it only catches what the other routers leave.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

router = APIRouter()


@router.api_route(
    "/api/{rest:path}",
    methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
    include_in_schema=False,
)
async def unknown(rest: str, request: Request) -> Response:
    return JSONResponse({"error": f"there is no endpoint {request.method} /api/{rest}"}, 404)

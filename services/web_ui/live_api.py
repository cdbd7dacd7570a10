"""The pages' live feed: Server-Sent Events for logged-in people (services.web_ui.live fills it)."""

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from services.web_ui.live import LiveHub
from services.web_ui.session import CurrentViewer

router = APIRouter(prefix="/ui", tags=["dashboard"])


@router.get("/events")
async def live_events(
    request: Request, _: CurrentViewer, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    """Every incident change as it is relayed; `Last-Event-ID` resumes after a reconnect."""
    hub: LiveHub = request.app.state.live
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(hub.stream(last_event_id), media_type="text/event-stream", headers=headers)

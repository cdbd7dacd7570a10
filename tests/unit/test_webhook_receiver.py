"""An alert the gateway did not answer is counted (status 0) instead of ending the benchmark's or the fault
suite's run."""

import asyncio

import aiohttp
from aiohttp import web

from scripts.devstack.ports import free_port
from scripts.webhook_receiver import post_alert


async def serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/api/v1/alerts", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_an_answer_a_refusal_and_no_answer_each_give_their_status():
    async def gateway(request: web.Request) -> web.Response:
        body = await request.json()
        if body["summary"] == "slow":
            await asyncio.sleep(1)
        if body["summary"] == "refused":
            return web.json_response({"detail": "no key"}, status=401)
        return web.json_response({"result": "created", "incident_id": "i-1"}, status=202)

    runner, url = await serve(gateway)
    try:
        timeout = aiohttp.ClientTimeout(total=0.3)
        async with aiohttp.ClientSession(url, timeout=timeout) as client:
            sent = [await post_alert(client, {"summary": s}, {}) for s in ("ok", "refused", "slow")]
    finally:
        await runner.cleanup()
    assert sent == [(202, {"result": "created", "incident_id": "i-1"}), (401, {}), (0, {})]


async def test_a_gateway_that_is_gone_is_no_answer():
    async with aiohttp.ClientSession(f"http://127.0.0.1:{free_port()}") as client:
        assert await post_alert(client, {"summary": "x"}, {}) == (0, {})

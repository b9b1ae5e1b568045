"""The listening socket `make serve` binds (workflows/serving/app.py)."""

from __future__ import annotations

import asyncio
import socket

from workflows.serving import app


def test_connections_on_the_bound_socket_send_without_waiting_for_an_ack():
    """uvicorn writes an answer's head and body in two writes. With Nagle's
    algorithm on, the body waits for the client's delayed ACK, about 40 ms on
    every kept-alive request (make serve answered 64 req/s instead of 315).
    asyncio turns Nagle off (TCP_NODELAY) only on connections accepted from a
    socket made with IPPROTO_TCP: this holds `bind` to that rule of the real loop."""
    sock = app.bind("127.0.0.1", 0)

    async def accept_one() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Accepting(asyncio.Protocol):
            def connection_made(self, transport):
                raw = transport.get_extra_info("socket")
                accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Accepting, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        try:
            return await asyncio.wait_for(accepted, 5)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    try:
        assert asyncio.run(accept_one()) != 0
    finally:
        sock.close()

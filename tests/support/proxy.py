"""A round-robin TCP proxy on loopback: one public port in front of several replicas, each new connection to
the next one (so a sign-in's steps, and a client's calls, land on different replicas)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@contextmanager
def round_robin(listen: socket.socket, ports: list[int]) -> Iterator[list[int]]:
    """Serve on the already bound `listen` socket; yield the list of replica ports each connection went to."""
    targets = cycle(ports)
    chosen: list[int] = []
    loop = asyncio.new_event_loop()

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        port = next(targets)
        chosen.append(port)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    server = loop.run_until_complete(asyncio.start_server(handle, sock=listen))
    thread = threading.Thread(target=loop.run_forever, name="round-robin", daemon=True)
    thread.start()

    async def stop() -> None:
        server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    try:
        yield chosen
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()

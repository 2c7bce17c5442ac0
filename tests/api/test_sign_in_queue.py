"""Sign-ins wait for a password checker on the event loop; beyond the queue they are refused."""

from __future__ import annotations

import asyncio

from api.deps import SignInQueue


def test_a_full_queue_refuses_at_once_and_a_slot_is_given_back() -> None:
    async def scenario() -> list[str]:
        queue = SignInQueue(slots=1, waiting=1, max_wait=30)
        events: list[str] = []
        release_first = asyncio.Event()
        first_in = asyncio.Event()

        async def first() -> None:
            async with queue.turn() as admitted:
                events.append(f"first {admitted}")
                first_in.set()
                await release_first.wait()

        async def second() -> None:
            async with queue.turn() as admitted:
                events.append(f"second {admitted}")

        one = asyncio.create_task(first())
        await first_in.wait()
        two = asyncio.create_task(second())
        while queue.queued < 2:
            await asyncio.sleep(0)
        async with queue.turn() as admitted:  # one running, one waiting: no room
            events.append(f"third {admitted}")
        release_first.set()
        await asyncio.gather(one, two)
        assert queue.queued == 0
        async with queue.turn() as admitted:
            events.append(f"fourth {admitted}")
        return events

    assert asyncio.run(scenario()) == ["first True", "third False", "second True", "fourth True"]


def test_a_wait_longer_than_the_bound_is_refused() -> None:
    async def scenario() -> bool:
        queue = SignInQueue(slots=1, waiting=5, max_wait=0.01)
        hold = asyncio.Event()
        holding = asyncio.Event()

        async def holder() -> None:
            async with queue.turn():
                holding.set()
                await hold.wait()

        task = asyncio.create_task(holder())
        await holding.wait()
        async with queue.turn() as admitted:
            result = admitted
        hold.set()
        await task
        return result

    assert asyncio.run(scenario()) is False

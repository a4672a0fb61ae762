"""The moving read deadline: never expires early when moved later, expires on time when moved earlier."""

from __future__ import annotations

import asyncio
import math

import pytest

from drivers.fire.gb26875.link_timing import MovingDeadline


async def _expiry_after(moves: list[tuple[float, float]], first: float) -> float:
    """Enter a timeout block watched by a deadline at ``first`` s from now; after each (sleep s, new
    deadline s from the start) pair, move it. Returns when the block expired, in s from the start."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = MovingDeadline(loop, start + first)
    try:
        async with asyncio.timeout(None) as timeout:
            deadline.arm(timeout)
            for pause, at in moves:
                await asyncio.sleep(pause)
                deadline.at = start + at
            await asyncio.sleep(10)
    except TimeoutError:
        return loop.time() - start
    finally:
        deadline.cancel()
    raise AssertionError("the deadline never expired")


def test_a_deadline_moved_later_at_every_read_expires_only_at_the_last_one() -> None:
    moves = [(0.05, 0.15 + 0.05 * i) for i in range(6)]  # each read pushes it 0.05 s further
    expired = asyncio.run(_expiry_after(moves, 0.1))
    assert expired == pytest.approx(0.4, abs=0.08)


def test_a_deadline_moved_earlier_rearms_at_once() -> None:
    expired = asyncio.run(_expiry_after([(0.02, 0.15)], 5.0))  # a frame began: its shorter deadline
    assert expired == pytest.approx(0.15, abs=0.08)


def test_no_deadline_while_committing_then_a_new_one() -> None:
    # ``inf`` while an answer is being committed: the timer only looks again, it never expires the block.
    expired = asyncio.run(_expiry_after([(0.02, math.inf), (1.2, 1.4)], 0.1))
    assert expired == pytest.approx(1.4, abs=0.1)

# requires: 3.11
# `except asyncio.CancelledError: ...; raise` runs when a task is cancelled or its block times out, but not when it fails or completes.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def step(label, delay, fail=False):
    try:
        await asyncio.sleep(delay)
        if fail:
            raise ValueError(label)
        print(f"{label} finished at {now()}")
    except asyncio.CancelledError:
        print(f"{label} cancelled at {now()}")
        raise


async def main():
    task = asyncio.create_task(step("task", 5))
    await asyncio.sleep(1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print(f"task ended at {now()}")
    try:
        async with asyncio.timeout(1):
            await step("block", 5)
    except TimeoutError:
        print(f"block timed out at {now()}")
    try:
        await step("failing block", 1, fail=True)
    except ValueError:
        print(f"failing block failed at {now()}")
    await step("last block", 1)


asyncio.run(main())

# requires: 3.11
# `task.cancel(); await task` inside a timeout: when the wait times out, the awaited task is cancelled again, cutting its cleanup short.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker():
    try:
        await asyncio.sleep(10)
    finally:
        print(f"cleanup starts at {now()}")
        await asyncio.sleep(1)
        print(f"cleanup done at {now()}")


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(1)
    task.cancel()
    try:
        async with asyncio.timeout(0.5):
            await task
    except TimeoutError:
        print(f"gave up waiting at {now()}")
    await asyncio.sleep(2)
    print(f"main ends at {now()}")


asyncio.run(main())

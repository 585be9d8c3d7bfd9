# requires: 3.11
# A tie: the task's 1 s timer is registered before the 1 s deadline around `await task`, yet the timeout cancels the task before it runs again.
import asyncio


async def worker():
    try:
        await asyncio.sleep(1)
        print("worker done")
    except asyncio.CancelledError:
        print("worker cancelled")
        raise


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(0)  # the worker runs first and registers its timer
    try:
        async with asyncio.timeout(1):
            await task
    except TimeoutError:
        print("timed out")
    print(f"task cancelled: {task.cancelled()}")


asyncio.run(main())

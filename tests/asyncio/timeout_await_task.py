# requires: 3.11
# A timeout around `await task` cancels the task itself, and the timeout ends only after the task's cleanup has run.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker():
    try:
        await asyncio.sleep(3)
        print("worker done")
    finally:
        print(f"worker cleaning up at {now()}")
        await asyncio.sleep(0.5)
        print(f"worker cleaned up at {now()}")


async def main():
    task = asyncio.create_task(worker())
    try:
        async with asyncio.timeout(1):
            await task
    except TimeoutError:
        print(f"timed out at {now()}")
    print(f"task cancelled: {task.cancelled()}")


asyncio.run(main())

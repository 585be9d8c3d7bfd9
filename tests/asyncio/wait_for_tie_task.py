# requires: 3.12
# A tie under asyncio.wait_for, which 3.12 builds on asyncio.timeout: the task's 1 s timer fires before the 1 s deadline, yet the deadline cancels the task before it runs again (3.11's wait_for returned its result instead).
import asyncio


async def worker():
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        print("worker cancelled")
        raise
    print("worker done")
    return "the result"


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(0)  # the worker registers its timer before the deadline
    try:
        print(f"got {await asyncio.wait_for(task, 1)}")
    except TimeoutError:
        print(f"timed out at {asyncio.get_running_loop().time():.2f}")


asyncio.run(main())

# requires: 3.11
# asyncio.shield(task) inside a timeout: the timeout ends the wait but the task goes on, and can be awaited again.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker():
    await asyncio.sleep(2)
    print(f"worker done at {now()}")


async def main():
    task = asyncio.create_task(worker())
    try:
        async with asyncio.timeout(0.5):
            await asyncio.shield(task)
    except TimeoutError:
        print(f"timed out at {now()}, the worker goes on")
    await task
    print(f"main done at {now()}")


asyncio.run(main())

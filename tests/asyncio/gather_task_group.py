# requires: 3.11
# asyncio.TaskGroup: the first failure cancels the tasks still running, waits for them, then raises (ExceptionGroup).
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def call(name, delay, fails=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name} cancelled at {now()}")
        raise
    if fails:
        print(f"{name} fails at {now()}")
        raise ConnectionError(name)
    print(f"{name} answered at {now()}")


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(call("fast", 0.5))
            tg.create_task(call("broken", 1, fails=True))
            tg.create_task(call("slow", 3))
    except* ConnectionError:
        print(f"task group failed at {now()}")
    print(f"main goes on at {now()}")
    await asyncio.sleep(5)


asyncio.run(main())

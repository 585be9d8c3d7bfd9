# requires: 3.11
# A tie with a lone getter: the item put at the deadline stays in the queue after the timeout wins, for the next get.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def producer(q):
    await asyncio.sleep(1)
    q.put_nowait("x")
    print(f"put x at {now()}")


async def main():
    q = asyncio.Queue()
    task = asyncio.create_task(producer(q))
    for _ in range(2):  # first the producer's timer registers first, then the deadline does
        try:
            async with asyncio.timeout(1):
                item = await q.get()
                print(f"got {item} in time")
        except TimeoutError:
            print(f"timed out at {now()} with {q.qsize()} item waiting")
        if task.done():
            item = await q.get()
            print(f"then got {item} at {now()}")
            task = asyncio.create_task(producer(q))
            await asyncio.sleep(0)
    await task


asyncio.run(main())

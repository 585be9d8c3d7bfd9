# requires: 3.11
# A tie with a lone getter: whichever timer was registered first, the timeout wins and the item put at the deadline waits for the next get.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def producer(q):
    await asyncio.sleep(1)
    q.put_nowait("x")
    print(f"put x at {now()}")


async def get_within_1s(q):
    try:
        async with asyncio.timeout(1):
            print(f"got {await q.get()} in time")
    except TimeoutError:
        print(f"timed out at {now()}")


async def main():
    q = asyncio.Queue()
    task = asyncio.create_task(producer(q))
    await get_within_1s(q)  # the deadline is registered before the producer's timer
    await task
    print(f"then got {await q.get()} at {now()}")
    task = asyncio.create_task(producer(q))
    await asyncio.sleep(0)  # now the producer's timer is registered first
    await get_within_1s(q)
    await task
    print(f"then got {await q.get()} at {now()}")


asyncio.run(main())

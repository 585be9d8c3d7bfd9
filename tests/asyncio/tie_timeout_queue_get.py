# requires: 3.11
# A tie: timeout(1) around queue.get() while an item is put at t = 1 by a producer whose timer fired first; the timeout wins and the item goes to the next getter.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def producer(q):
    await asyncio.sleep(1)
    await q.put("x")
    print(f"put x at {now()}")


async def other(q):
    await asyncio.sleep(0.001)
    item = await q.get()
    print(f"other got {item} at {now()}")


async def main():
    q = asyncio.Queue()
    tasks = [asyncio.create_task(producer(q)), asyncio.create_task(other(q))]
    await asyncio.sleep(0)  # the producer registers its timer before the deadline
    try:
        async with asyncio.timeout(1):
            item = await q.get()
            print(f"main got {item}")
    except TimeoutError:
        print(f"main timed out at {now()}")
    await asyncio.gather(*tasks)


asyncio.run(main())

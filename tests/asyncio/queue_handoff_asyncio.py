# requires: 3.11
# asyncio.Queue hand-off: a put wakes the waiting getter, but a task that asks before it runs takes the item, and the woken getter waits again.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def early(q):
    item = await q.get()
    print(f"early got {item} at {now()}")


async def producer(q):
    await asyncio.sleep(1)
    await q.put("x")
    await asyncio.sleep(1)
    await q.put("y")


async def late(q):
    await asyncio.sleep(1)
    item = await q.get()
    print(f"late got {item} at {now()}")


async def main():
    q = asyncio.Queue()
    await asyncio.gather(early(q), producer(q), late(q))


asyncio.run(main())

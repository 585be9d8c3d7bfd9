# requires: 3.11
# Queue(maxsize=1): a put waits while the queue is full; a get wakes the waiting putter, but a putter that asks before it runs takes the place.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def consumer(q):
    for _ in range(3):
        await asyncio.sleep(1)
        item = await q.get()
        print(f"consumer got {item} at {now()}")


async def putter(q, name, delay):
    if delay:
        await asyncio.sleep(delay)
    await q.put(name)
    print(f"{name} put at {now()}")


async def main():
    q = asyncio.Queue(maxsize=1)
    await q.put("first")
    await asyncio.gather(consumer(q), putter(q, "p1", 0), putter(q, "p2", 1))


asyncio.run(main())

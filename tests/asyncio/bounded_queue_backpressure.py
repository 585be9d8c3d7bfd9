# requires: 3.11
# Backpressure: a producer at 1 s per item, a consumer at 3 s per item, Queue(maxsize=2); put waits when full.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def producer(q):
    for n in range(6):
        await asyncio.sleep(1)
        await q.put(f"job-{n}")
        print(f"produced job-{n} at {now()}")


async def consumer(q):
    for _ in range(6):
        item = await q.get()
        print(f"took {item} at {now()}")
        await asyncio.sleep(3)
        q.task_done()


async def main():
    q = asyncio.Queue(maxsize=2)
    await asyncio.gather(producer(q), consumer(q))
    print(f"done at {now()}")


asyncio.run(main())

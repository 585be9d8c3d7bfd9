# requires: 3.11
# The seed's async_queue.py with fixed sleeps instead of randint: producers, consumers, join, cancel.
import asyncio
import itertools


def secs(x):  # the shortest exact decimal, as the scenario prints {waited}
    return f"{x:.9f}".rstrip("0").rstrip(".")


async def nap(caller, sleeps):
    s = next(sleeps)
    print(f"{caller} sleeping for {s} seconds.")
    await asyncio.sleep(s)


async def produce(n, q):
    sleeps = itertools.cycle([1, 2, 3])
    await nap(f"Producer {n}", sleeps)
    for i in range(n + 1):
        await q.put((i, asyncio.get_running_loop().time()))
        await nap(f"Producer {n}", sleeps)


async def consume(n, q):
    sleeps = itertools.cycle([2, 3, 1])
    await nap(f"Consumer {n}", sleeps)
    while True:
        i, t = await q.get()
        print(f"Got item {i} in {secs(asyncio.get_running_loop().time() - t)} seconds.")
        await nap(f"Consumer {n}", sleeps)
        q.task_done()


async def main():
    q = asyncio.Queue()
    producers = [asyncio.create_task(produce(n, q)) for n in range(3)]
    consumers = [asyncio.create_task(consume(n, q)) for n in range(4)]
    await asyncio.gather(*producers)
    await q.join()
    for c in consumers:
        c.cancel()
    print(f"async_queue.py executed in {asyncio.get_running_loop().time():.2f} seconds.")


asyncio.run(main())

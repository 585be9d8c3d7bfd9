# requires: 3.11
# Queue.join waits until task_done has been called for every item put; one task_done too many raises ValueError.
import asyncio
import itertools


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker(n, q):
    sleeps = itertools.cycle([1, 2])
    while True:
        job = await q.get()
        await asyncio.sleep(next(sleeps))
        print(f"worker {n} finished {job} at {now()}")
        q.task_done()


async def main():
    q = asyncio.Queue()
    for n in range(5):
        q.put_nowait(f"job-{n}")
    workers = [asyncio.create_task(worker(n, q)) for n in range(2)]
    await q.join()
    print(f"all jobs done at {now()}")
    await q.join()
    print("joining again returns at once")
    try:
        q.task_done()
    except ValueError:
        print("one task_done too many")
    for w in workers:
        w.cancel()


asyncio.run(main())

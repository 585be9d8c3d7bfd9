# requires: 3.11
# Open arrivals: a source puts a customer on the queue every second whatever the till does; main joins the queue, then cancels the till.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def arrivals(q):
    for n in range(4):
        await asyncio.sleep(1)
        q.put_nowait(f"customer-{n}")


async def till(q):
    while True:
        item = await q.get()
        print(f"serving {item} at {now()}")
        await asyncio.sleep(1.5)
        q.task_done()


async def main():
    q = asyncio.Queue()
    source = asyncio.create_task(arrivals(q))
    server = asyncio.create_task(till(q))
    await source
    await q.join()
    server.cancel()
    print(f"all served at {now()}")


asyncio.run(main())

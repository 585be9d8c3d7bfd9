# requires: 3.11
# asyncio.wait(FIRST_COMPLETED), then cancel the pending tasks and wait for them: the fastest replica wins.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def replica(n, delay):
    try:
        await asyncio.sleep(delay)
        print(f"replica {n} answered at {now()}")
    except asyncio.CancelledError:
        print(f"replica {n} cancelled at {now()}")
        raise


async def main():
    tasks = [asyncio.create_task(replica(n, d)) for n, d in enumerate([3, 1, 2])]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in tasks:
        if t in pending:
            t.cancel()
    await asyncio.wait(pending)
    print(f"race over at {now()}")


asyncio.run(main())

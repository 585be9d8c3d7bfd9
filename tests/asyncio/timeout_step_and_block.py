# requires: 3.11
# asyncio.timeout around one step (a get, first on an empty queue) and around a block whose inner finally runs on the way out.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def main():
    q = asyncio.Queue()
    try:
        async with asyncio.timeout(1):
            await q.get()
    except TimeoutError:
        print(f"no job in time at {now()}")
    q.put_nowait("job")
    async with asyncio.timeout(1):
        print(f"got {await q.get()} in time at {now()}")
    try:
        async with asyncio.timeout(2.5):
            for n in range(5):
                try:
                    await asyncio.sleep(1)
                    print(f"step {n} done at {now()}")
                finally:
                    print(f"step {n} cleaned up at {now()}")
    except TimeoutError:
        print(f"block timed out at {now()}")
    finally:
        print(f"after the block at {now()}")


asyncio.run(main())

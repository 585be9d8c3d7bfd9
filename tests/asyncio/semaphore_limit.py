# requires: 3.11
# A semaphore as a concurrency limit: 10 tasks behind Semaphore(5), each holding it 1 s, take 2 s.
import asyncio


async def task(n, sema):
    loop = asyncio.get_running_loop()
    print(f"Task {n} waiting at {loop.time():.2f} s.")
    async with sema:
        print(f"Task {n} acquired at {loop.time():.2f} s.")
        await asyncio.sleep(1)
        print(f"Task {n} releasing at {loop.time():.2f} s.")


async def main():
    sema = asyncio.Semaphore(5)
    await asyncio.gather(*(task(n, sema) for n in range(10)))
    print(f"semaphore.py executed in {asyncio.get_running_loop().time():.2f} seconds.")


asyncio.run(main())

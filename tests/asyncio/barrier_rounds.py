# requires: 3.11
# asyncio.Barrier(3): runners arriving at different times all pass when the last arrives, and the barrier is reused.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def runner(n, barrier):
    for lap in range(2):
        for _ in range(n + 1):  # warm up for n + 1 seconds
            await asyncio.sleep(1)
        print(f"runner {n} at the line at {now()}")
        await barrier.wait()
        print(f"runner {n} starts lap {lap} at {now()}")


async def main():
    barrier = asyncio.Barrier(3)
    await asyncio.gather(*(runner(n, barrier) for n in range(3)))
    print(f"done at {now()}")


asyncio.run(main())

# requires: 3.11
# asyncio.Barrier drains between rounds: six runners reach a 3-party barrier at one instant; the second round fills only after the first round's waiters have left.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def runner(n, barrier):
    await asyncio.sleep(1)
    print(f"runner {n} arrives at {now()}")
    await barrier.wait()
    print(f"runner {n} goes at {now()}")


async def main():
    barrier = asyncio.Barrier(3)
    await asyncio.gather(*(runner(n, barrier) for n in range(6)))


asyncio.run(main())

# requires: 3.11
# Blocking code called in a coroutine stalls the loop: timers due meanwhile fire late, in order. time.sleep(2) is modelled by moving vloop's virtual clock by hand.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


def blocking_call(seconds):  # stands for time.sleep(seconds) on the loop's thread
    asyncio.get_running_loop()._now += seconds


async def sleeper(n):
    await asyncio.sleep(n)
    print(f"sleeper {n} woke at {now()}")


async def hog():
    await asyncio.sleep(0.5)
    blocking_call(2)
    print(f"hog done at {now()}")


async def main():
    await asyncio.gather(sleeper(1), sleeper(2), hog(), sleeper(3))


asyncio.run(main())

# requires: 3.11
# Printing virtual times with :.2f and :.0f rounds the float like Python does (2.675 -> 2.67, 0.005 -> 0.01, 1.015 -> 1.01, 2.5 -> 2).
import asyncio


async def report(delay):
    await asyncio.sleep(delay)
    t = asyncio.get_running_loop().time()
    print(f"{t:.2f} {t:.0f}")


async def main():
    await asyncio.gather(*(report(d) for d in [0.005, 0.125, 0.375, 1.015, 1.5, 2.5, 2.675]))


asyncio.run(main())

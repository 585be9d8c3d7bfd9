# requires: 3.11
# The seed's countasync.py: three coroutines gathered, each prints One, sleeps 1 s, prints Two.
import asyncio


async def count():
    print("One")
    await asyncio.sleep(1)
    print("Two")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(count(), count(), count())
    print(f"countasync.py executed in {loop.time() - start:.2f} seconds.")


asyncio.run(main())

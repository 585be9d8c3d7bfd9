# requires: 3.11
# The seed's countasync_with_timeout.py: the gather inside asyncio.timeout(1), tying with the 1 s sleeps; the timeout wins.
import asyncio


async def count():
    print("One")
    await asyncio.sleep(1)
    print("Two")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(1):
            await asyncio.gather(count(), count(), count())
    except TimeoutError:
        print("The long operation timed out!")
    finally:
        print("This statement always runs.")
    print(f"countasync_with_timeout.py executed in {loop.time() - start:.2f} seconds.")


asyncio.run(main())

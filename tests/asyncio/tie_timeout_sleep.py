# requires: 3.11
# A tie: asyncio.timeout(1) around asyncio.sleep(1); the deadline was scheduled first, so the timeout wins.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def main():
    try:
        async with asyncio.timeout(1):
            await asyncio.sleep(1)
            print("slept the whole second")
    except TimeoutError:
        print(f"timed out at {now()}")
    try:
        async with asyncio.timeout(1.5):
            await asyncio.sleep(1.5)
            print("slept again")
    except TimeoutError:
        print(f"timed out again at {now()}")


asyncio.run(main())

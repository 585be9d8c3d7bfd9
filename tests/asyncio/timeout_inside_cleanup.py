# requires: 3.12
# A timeout inside a cancelled task's finally still raises TimeoutError: Timeout compares uncancel() with the cancel count at entry (gh-102780; in 3.12, backported to 3.11.3+ only).
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker():
    try:
        await asyncio.sleep(10)
    finally:
        print(f"cleaning up at {now()}")
        try:
            async with asyncio.timeout(0.5):
                await asyncio.sleep(1)
                print("cleanup finished")
        except TimeoutError:
            print(f"cleanup timed out at {now()}")
        print(f"end of finally at {now()}")


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print(f"worker cancelled at {now()}")


asyncio.run(main())

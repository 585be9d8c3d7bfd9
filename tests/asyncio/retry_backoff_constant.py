# requires: 3.11
# Retry with constant backoff (1 s each time): each try waits 0.5 s for a service that comes up at 3.25 s.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def come_up(up):
    await asyncio.sleep(3.25)
    up.set()


async def main():
    up = asyncio.Event()
    starter = asyncio.create_task(come_up(up))
    for attempt in range(5):
        try:
            print(f"attempt at {now()}")
            async with asyncio.timeout(0.5):
                await up.wait()
            print(f"answered at {now()}")
            break
        except TimeoutError:
            if attempt == 4:
                raise
            await asyncio.sleep(1)  # the same wait every time
    await starter


asyncio.run(main())

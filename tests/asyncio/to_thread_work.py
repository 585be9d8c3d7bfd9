# requires: 3.11
# Blocking work on a thread lets other tasks run; `await asyncio.to_thread(f)` taking 2 s is modelled as asyncio.sleep(2), as real thread time cannot run on the virtual clock.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def ticker():
    for _ in range(3):
        await asyncio.sleep(0.75)
        print(f"tick at {now()}")


async def main():
    ticks = asyncio.create_task(ticker())
    print(f"handing work to a thread at {now()}")
    await asyncio.sleep(2)  # stands for: await asyncio.to_thread(blocking_io), which takes 2 s
    print(f"thread work done at {now()}")
    await ticks
    print(f"done at {now()}")


asyncio.run(main())

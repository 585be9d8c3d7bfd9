# requires: 3.11
# Cancelling a task interrupts its sleep; its finally still runs (and may await), and awaiting the task waits for it.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def heartbeat():
    try:
        while True:
            await asyncio.sleep(1)
            print(f"heartbeat at {now()}")
    finally:
        print(f"heartbeat flushing at {now()}")
        await asyncio.sleep(0.25)
        print(f"heartbeat closed at {now()}")


async def main():
    task = asyncio.create_task(heartbeat())
    await asyncio.sleep(3.5)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    print(f"main goes on at {now()}")


asyncio.run(main())

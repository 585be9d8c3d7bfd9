# requires: 3.11
# Event set then clear at once still releases the waiters already waiting; later waits block until the next set.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def waiter(n, ev):
    await ev.wait()
    print(f"waiter {n} released at {now()}")


async def main():
    ev = asyncio.Event()
    waiters = [asyncio.create_task(waiter(n, ev)) for n in range(2)]
    await asyncio.sleep(1)
    ev.set()
    ev.clear()
    print(f"pulsed at {now()}")
    await asyncio.gather(*waiters)
    try:
        async with asyncio.timeout(1):
            await ev.wait()
    except TimeoutError:
        print(f"still clear at {now()}")
    ev.set()
    await ev.wait()
    print(f"set, so wait returns at once at {now()}")


asyncio.run(main())

# requires: 3.11
# asyncio.gather: the first exception propagates at once and the other tasks keep running, unawaited.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def call(name, delay, fails=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name} cancelled at {now()}")
        raise
    if fails:
        print(f"{name} fails at {now()}")
        raise ConnectionError(name)
    print(f"{name} answered at {now()}")


async def main():
    try:
        await asyncio.gather(call("fast", 0.5), call("broken", 1, fails=True), call("slow", 3))
    except ConnectionError:
        print(f"gather failed at {now()}")
    print(f"main goes on at {now()}")
    await asyncio.sleep(5)


asyncio.run(main())

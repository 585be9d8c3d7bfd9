# requires: 3.11
# asyncio.gather(..., return_exceptions=True): every task runs to its end, failures are returned, not raised.
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
    results = await asyncio.gather(
        call("fast", 0.5), call("broken", 1, fails=True), call("slow", 3), return_exceptions=True
    )
    print(f"gather returned {len(results)} results at {now()}")
    print(f"main goes on at {now()}")
    await asyncio.sleep(5)


asyncio.run(main())

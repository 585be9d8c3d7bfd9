# requires: 3.11
# No tasks at all: gathering, awaiting and cancelling nothing return at once; asyncio.wait on nothing raises.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker(n):
    print(f"worker {n} never runs")


async def main():
    count = 0
    await asyncio.gather(*(worker(n) for n in range(count)))
    print(f"gathered none at {now()}")
    helpers = [asyncio.create_task(worker(n)) for n in range(count)]
    for t in helpers:
        t.cancel()
    await asyncio.gather(*helpers, return_exceptions=True)
    print(f"started and cancelled none at {now()}")
    try:
        racers = [asyncio.create_task(worker(n)) for n in range(count)]
        await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
        print("a race of none was won")
    except ValueError:
        print(f"a race of none fails at {now()}")


asyncio.run(main())

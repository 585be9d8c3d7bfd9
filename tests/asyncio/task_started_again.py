# requires: 3.11
# A task gathered again in a loop runs its steps again each time: three rounds of two workers.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def worker(n):
    print(f"worker {n} starts at {now()}")
    await asyncio.sleep(1)
    print(f"worker {n} ends at {now()}")


async def main():
    for round_ in range(3):
        print(f"round {round_} at {now()}")
        await asyncio.gather(*(worker(n) for n in range(2)))
    print(f"done at {now()}")


asyncio.run(main())

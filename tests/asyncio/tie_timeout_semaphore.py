# requires: 3.11
# A tie: a permit is released to main at the instant main's timeout fires; the timeout wins and the permit passes to the next waiter.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def holder(sem):
    async with sem:
        await asyncio.sleep(1)
    print(f"holder released at {now()}")


async def other(sem):
    await asyncio.sleep(0.5)
    async with sem:
        print(f"other acquired at {now()}")


async def main():
    sem = asyncio.Semaphore(1)
    tasks = [asyncio.create_task(holder(sem)), asyncio.create_task(other(sem))]
    await asyncio.sleep(0)  # the holder takes the permit and registers its timer first
    try:
        async with asyncio.timeout(1):
            async with sem:
                print("main acquired")
    except TimeoutError:
        print(f"main timed out at {now()}")
    await asyncio.gather(*tasks)


asyncio.run(main())

# requires: 3.11
# BoundedSemaphore only bounds the count: a task that did not acquire may release a permit another task acquired.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def holder(sem):
    await sem.acquire()
    print(f"holder acquired at {now()}")
    await asyncio.sleep(2)


async def releaser(sem):
    await asyncio.sleep(1)
    try:
        sem.release()
        print(f"releaser released the holder's permit at {now()}")
    except ValueError:
        print(f"releaser was refused at {now()}")


async def main():
    sem = asyncio.BoundedSemaphore(1)
    await asyncio.gather(holder(sem), releaser(sem))


asyncio.run(main())

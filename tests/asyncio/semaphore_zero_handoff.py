# requires: 3.11
# Semaphore(0) counting signals: a producer releases three times, a consumer loops on acquire and catches up with releases it missed.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def consumer(sem):
    for n in range(3):
        await sem.acquire()
        print(f"signal {n} handled at {now()}")
        await asyncio.sleep(1.5)


async def producer(sem):
    for _ in range(3):
        await asyncio.sleep(1)
        print(f"signal at {now()}")
        sem.release()


async def main():
    sem = asyncio.Semaphore(0)
    await asyncio.gather(consumer(sem), producer(sem))
    print(f"done at {now()}")


asyncio.run(main())

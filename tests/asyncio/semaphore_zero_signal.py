# requires: 3.11
# Semaphore(0) as a signal: each waiter's acquire consumes one release made by another task, one per second.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def waiter(n, sem):
    await sem.acquire()
    print(f"waiter {n} goes at {now()}")


async def signaller(sem):
    for _ in range(3):
        await asyncio.sleep(1)
        print(f"signal at {now()}")
        sem.release()


async def main():
    sem = asyncio.Semaphore(0)
    await asyncio.gather(*(waiter(n, sem) for n in range(3)), signaller(sem))
    print(f"done at {now()}")


asyncio.run(main())

# requires: 3.11
# asyncio.Lock is first come, first served: a task arriving just as the lock is released waits behind the task woken for it.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def user(name, lock, arrive):
    for delay in arrive:
        await asyncio.sleep(delay)
    async with lock:
        print(f"{name} holds the lock at {now()}")
        await asyncio.sleep(1)
    print(f"{name} released it at {now()}")


async def main():
    lock = asyncio.Lock()
    await asyncio.gather(user("a", lock, []), user("b", lock, [0.5]), user("c", lock, [0.25, 0.75]))
    print(f"done at {now()}")


asyncio.run(main())

# requires: 3.11
# BoundedSemaphore: releasing more than was acquired raises ValueError; an ordinary Semaphore just gains a permit.
import asyncio


async def main():
    bounded = asyncio.BoundedSemaphore(1)
    async with bounded:
        print("holding the bounded semaphore")
    try:
        bounded.release()
        print("released it again")
    except ValueError:
        print("the bounded semaphore refused an extra release")
    plain = asyncio.Semaphore(1)
    plain.release()
    await plain.acquire()
    await plain.acquire()
    print("the plain semaphore gained a permit: acquired twice")


asyncio.run(main())

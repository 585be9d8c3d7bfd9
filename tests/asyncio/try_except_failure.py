# requires: 3.11
# Failures: an exception unwinds through finally to the except that catches it; awaiting a failed task raises its exception.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def call(n):
    await asyncio.sleep(1)
    if n == 1:
        raise ConnectionError(f"call {n} broke")
    print(f"call {n} answered at {now()}")


async def main():
    try:
        try:
            await call(0)
            await call(1)
            print("never")
        finally:
            print(f"inner finally at {now()}")
    except ConnectionError:
        print(f"caught the failure at {now()}")
    task = asyncio.create_task(call(1))
    try:
        await task
    except ConnectionError:
        print(f"the awaited task failed at {now()}")
    print(f"main goes on at {now()}")


asyncio.run(main())

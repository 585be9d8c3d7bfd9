# requires: 3.11
# asyncio.wait(FIRST_COMPLETED) is decided by the first task to end even if it failed: its exception is what the race yields.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def broken():
    await asyncio.sleep(1)
    raise ConnectionError("broken replica")


async def slow():
    await asyncio.sleep(2)
    print(f"slow replica answered at {now()}")


async def main():
    tasks = [asyncio.create_task(broken()), asyncio.create_task(slow())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    await asyncio.wait(pending)
    try:
        for t in done:
            t.result()
        print("never")
    except ConnectionError:
        print(f"the first to complete had failed, at {now()}")


asyncio.run(main())

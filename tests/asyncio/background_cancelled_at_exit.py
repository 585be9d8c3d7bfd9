# requires: 3.11
# Tasks still running when main returns are cancelled by asyncio.run, which waits for their finally blocks before it returns.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def background(n):
    try:
        while True:
            await asyncio.sleep(n + 1)
            print(f"background {n} ticks at {now()}")
    finally:
        print(f"background {n} cancelled at {now()}")
        await asyncio.sleep(0.5)
        print(f"background {n} closed at {now()}")


async def main():
    tasks = [asyncio.create_task(background(n)) for n in range(2)]
    await asyncio.sleep(2.5)
    print(f"main returns at {now()} with {len(tasks)} tasks running")


asyncio.run(main())
print("asyncio.run returned")

# requires: 3.11
# Nested asyncio.timeout blocks: at a shared deadline the outer one (registered first) reports; an earlier inner deadline is handled inside.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def nested(outer, inner):
    try:
        async with asyncio.timeout(outer):
            try:
                async with asyncio.timeout(inner):
                    await asyncio.sleep(5)
            except TimeoutError:
                print(f"inner timed out at {now()}")
            print(f"after the inner block at {now()}")
            await asyncio.sleep(5)
    except TimeoutError:
        print(f"outer timed out at {now()}")


async def main():
    await nested(1, 1)
    await nested(2, 1)


asyncio.run(main())

# requires: 3.11
# A race won by the first replica to succeed (asyncio.as_completed, skipping failures), then the rest are cancelled.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def replica(n, delay, fails):
    try:
        await asyncio.sleep(delay)
        if fails:
            print(f"replica {n} fails at {now()}")
            raise ConnectionError(f"replica {n} broke")
        print(f"replica {n} answered at {now()}")
    except asyncio.CancelledError:
        print(f"replica {n} cancelled at {now()}")
        raise


async def main():
    tasks = [asyncio.create_task(replica(n, d, f)) for n, (d, f) in enumerate([(1, True), (2, False), (3, False)])]
    for next_done in asyncio.as_completed(tasks):
        try:
            await next_done
            break
        except ConnectionError:
            pass  # a failed replica does not win
    for t in tasks:
        t.cancel()
    await asyncio.wait(tasks)
    print(f"race over at {now()}")


asyncio.run(main())

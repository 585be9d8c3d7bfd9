# requires: 3.11
# An asyncio.Event: three waiters released together by set(); a late waiter finds it set and goes on at once.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def waiter(n, ev, delay=0):
    if delay:
        await asyncio.sleep(delay)
    print(f"Waiter {n} waiting at {now()} s.")
    await ev.wait()
    print(f"Waiter {n} released at {now()} s.")


async def setter(ev):
    print("Setter sleeping for 1 seconds.")
    await asyncio.sleep(1)
    print(f"Setter setting event at {now()} s.")
    ev.set()
    print(f"Setter done at {now()} s.")


async def main():
    ev = asyncio.Event()
    await asyncio.gather(waiter(0, ev), waiter(1, ev), waiter(2, ev), setter(ev), waiter(3, ev, delay=2))
    print(f"event.py executed in {now()} seconds.")


asyncio.run(main())

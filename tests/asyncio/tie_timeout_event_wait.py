# requires: 3.11
# A tie: timeout(1) around event.wait() while another task sets the event at t = 1; whichever timer was registered first, the timeout wins.
import asyncio


def now():
    return f"{asyncio.get_running_loop().time():.2f}"


async def setter(ev):
    await asyncio.sleep(1)
    ev.set()
    print(f"set at {now()}")


async def wait_within_1s(ev):
    try:
        async with asyncio.timeout(1):
            await ev.wait()
            print(f"released at {now()}")
    except TimeoutError:
        print(f"timed out at {now()}")


async def main():
    ev = asyncio.Event()
    task = asyncio.create_task(setter(ev))
    await wait_within_1s(ev)  # the deadline is registered before the setter's timer
    await task
    ev.clear()
    task = asyncio.create_task(setter(ev))
    await asyncio.sleep(0)  # now the setter's timer is registered first
    await wait_within_1s(ev)
    await task


asyncio.run(main())

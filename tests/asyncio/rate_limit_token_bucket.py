# requires: 3.11
# A rate limit (asyncio has none, so a hand-rolled token bucket): 2 tokens a second, a burst of 3, the bucket starts full, waiters served in order.
import asyncio


class TokenBucket:
    def __init__(self, rate, burst):
        self.rate, self.burst, self.tokens, self.last = rate, burst, burst, 0.0
        self.lock = asyncio.Lock()  # waiters are served in order

    async def throttle(self):
        async with self.lock:
            loop = asyncio.get_running_loop()
            self.tokens = min(self.burst, self.tokens + (loop.time() - self.last) * self.rate)
            self.last = loop.time()
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self.tokens, self.last = 1, loop.time()
            self.tokens -= 1


async def client(n, bucket):
    await bucket.throttle()
    print(f"request {n} sent at {asyncio.get_running_loop().time():.2f}")


async def main():
    bucket = TokenBucket(rate=2, burst=3)
    await asyncio.gather(*(client(n, bucket) for n in range(8)))


asyncio.run(main())

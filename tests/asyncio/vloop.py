"""Runs an asyncio program on a virtual clock: time jumps to the next timer when nothing is
ready, and timers due at one instant fire in the order they were scheduled."""
import asyncio, heapq, itertools, runpy, selectors, sys

class _Selector(selectors.DefaultSelector):
    def __init__(self, loop):
        super().__init__()
        self._loop = loop
    def select(self, timeout=None):
        if timeout:  # nothing ready: jump to the next deadline instead of sleeping
            self._loop._now += timeout
        return super().select(0)

_seq = itertools.count()

class _StableTimer(asyncio.TimerHandle):
    __slots__ = ("_seq",)
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seq = next(_seq)
    def __lt__(self, other):
        return (self._when, self._seq) < (other._when, other._seq)
    def __le__(self, other):
        return (self._when, self._seq) <= (other._when, other._seq)

class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self._now = 0.0
        super().__init__(_Selector(self))
    def time(self):
        return self._now
    def call_at(self, when, callback, *args, context=None):
        self._check_closed()
        timer = _StableTimer(when, callback, args, self, context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

class Policy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        return VirtualLoop()

asyncio.set_event_loop_policy(Policy())
runpy.run_path(sys.argv[1], run_name="__main__")

"""A bound on a whole fault test: a fault that holds a request must fail the test, not hang the run."""

import contextlib
import signal


@contextlib.contextmanager
def time_limit(seconds, what="a fault held a request"):
    def give_up(signum, frame):
        raise TimeoutError(f"over {seconds} s: {what}")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

"""RQ workers that stop promptly.

An RQ worker listens on a Redis pub/sub channel for shutdown and stop-job
commands, in a thread that waits up to 60 seconds for a message. When the
worker ends (a ``--burst`` run whose queue is empty, or a shutdown), RQ 3
unsubscribes and then waits for that thread with no time limit; with
redis-py 8 the unsubscribe answer is sometimes consumed before the thread
wakes, and the worker then hangs for the full minute before it exits. Seen
on this stack as a burst run of four jobs that took 60 s instead of 1 s.

These workers bound the wait. The thread is a daemon and only reads
commands, so leaving it to die with the closed connection loses nothing.
"""

from __future__ import annotations

from rq import SimpleWorker, Worker

#: Seconds the ending worker waits for its command listener thread.
LISTENER_STOP_SECONDS = 1.0


class _PromptUnsubscribe:
    """Unsubscribe from the command channel without an unbounded join."""

    pubsub_thread: object | None
    pubsub: object

    def unsubscribe(self) -> None:
        thread = self.pubsub_thread
        if thread is None:
            return
        self.pubsub.unsubscribe()  # type: ignore[attr-defined]
        thread.stop(timeout=LISTENER_STOP_SECONDS)  # type: ignore[attr-defined]
        self.pubsub.close()  # type: ignore[attr-defined]


class PromptWorker(_PromptUnsubscribe, Worker):
    """``rq.Worker`` (a forked work horse per job) that exits promptly."""


class PromptSimpleWorker(_PromptUnsubscribe, SimpleWorker):
    """``rq.SimpleWorker`` (jobs in the worker's own process) that exits promptly."""

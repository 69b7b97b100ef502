"""The voice worker's background work, off the connection's thread: tool
calls and marking outcomes told run one at a time on "voice-jobs"; priming,
untold outcomes and the outbox on "voice-tasks"; the rolling summary on
its own thread. Part of VoiceWorker, which provides the state it uses."""
from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

from core.events import CallJobUpdated, Event
from core.records import FINISHED

if TYPE_CHECKING:
    from core.config import Settings
    from store import ConversationStore, JobStore
    from voice.priming import Summariser
    from voice.session import Session
    from voice.tools import ToolBox

log = logging.getLogger(__name__)

SUMMARY_SOURCE_TURNS = 200
SLOW_TOOL_S = 3.0  # a tool running longer than this gets a spoken "still working on it"


class BackgroundWork:
    """Part of VoiceWorker."""
    lock: threading.RLock
    jobs: JobStore
    conversation: ConversationStore
    settings: Settings
    tools: ToolBox
    summary: str | None
    _stop: threading.Event
    _session: Session | None
    _tasks: queue.Queue[str]
    _jobs_work: queue.Queue[Any]
    _jobs_busy: int
    _told: set[int]
    _late: list[tuple[str, str, str, int]]
    _summariser: Summariser | None
    _summary_busy: threading.Lock

    def run_tool(self, session: Session, call_id: str, name: str, arguments: str) -> None:
        done = threading.Event()

        def slow() -> None:
            if not done.is_set():
                with self.lock:
                    session.say_working()

        timer = threading.Timer(SLOW_TOOL_S, slow)
        timer.daemon = True

        def job() -> None:
            try:
                result = self.tools.run(name, arguments)
            finally:
                done.set()
                timer.cancel()
            with self.lock:
                session.tool_finished(call_id, name, arguments, result)

        timer.start()
        self._submit(job)

    def mark_told(self, job_ids: list[int]) -> None:
        """The assistant said these outcomes: record it (off this thread)."""
        self._told.update(job_ids)

        def job() -> None:
            self.jobs.mark_informed(job_ids)
            self._tasks.put("updates")

        self._submit(job)

    def _refresh_summary(self, session: Session) -> None:
        """Bring the rolling summary up to date, then re-send the instructions."""
        if not self._summary_busy.acquire(blocking=False):
            return
        try:
            latest = self.conversation.latest_summary()
            upto = latest.upto_turn_id if latest else 0
            turns = [t for t in self.conversation.get_recent_turns(SUMMARY_SOURCE_TURNS) if t.turn_id > upto]
            if not turns or self._summariser is None:
                return
            text = self._summariser.summarise(latest.summary if latest else None, turns, stop=self._stop)
            self.conversation.save_summary(text, max(t.turn_id for t in turns))
            with self.lock:
                self.summary = text
                if self._session is session and session.prime_sent:
                    session.send_instructions()
        except Exception:
            if self._stop.is_set():  # the summary client closes as the worker stops
                log.info("the conversation summary was not refreshed: stopping")
            else:
                log.exception("refreshing the conversation summary failed; keeping the previous one")
        finally:
            self._summary_busy.release()

    def _on_event(self, event: Event) -> None:
        """Bus subscriber: a finished call's outcome is to be said; one told
        elsewhere (the status tool, another process) no longer is."""
        if not isinstance(event, CallJobUpdated) or event.job.overall_status not in FINISHED:
            return
        if event.job.campaign_id is not None:
            return  # told through the campaign's summary job
        if event.job.main_agent_informed_user:
            self._told.add(int(event.job.id))
        self._tasks.put("updates")

    def _submit(self, fn: Any) -> None:
        with self.lock:
            self._jobs_busy += 1
        self._jobs_work.put(fn)

    def _jobs_loop(self) -> None:
        while True:
            fn = self._jobs_work.get()
            if fn is None:
                return
            try:
                fn()
            except Exception:
                log.exception("voice jobs work failed")
            finally:
                with self.lock:
                    self._jobs_busy -= 1

    def _task_loop(self) -> None:
        while not self._stop.is_set():
            due = {self._tasks.get()}
            while not self._tasks.empty():  # coalesce a burst into one of each
                due.add(self._tasks.get_nowait())
            if "stop" in due or self._stop.is_set():
                return
            try:
                self._run_tasks(due)
            except Exception:
                log.exception("voice task %s failed", sorted(due))

    def _run_tasks(self, due: set[str]) -> None:
        with self.lock:
            session = self._session
        if session is None:
            return  # the next connect primes with all of it
        if "prime" in due and not session.prime_sent:
            updates = self.jobs.pending_updates()
            turns = (self.conversation.get_recent_turns(self.settings.voice.history_turns)
                     if self.settings.voice.history_turns else [])
            with self.lock:
                if self._session is session and not session.prime_sent:
                    session.prime(self.untold(updates), turns)
                    logged = {t.turn_id for t in turns}
                    late, self._late = self._late, []
                    for name, arguments, result, turn_id in late:
                        if turn_id not in logged:
                            session.replay_result(name, arguments, result)
            return
        if not session.prime_sent:
            return
        if "outbox" in due:
            with self.lock:
                session.send_outbox()
        if due & {"updates", "share", "instructions"}:
            updates = self.untold(self.jobs.pending_updates())
            with self.lock:
                if self._session is not session:
                    return
                if "share" in due:
                    session.not_said.clear()
                    session.failed_deliveries = 0
                if "instructions" in due:
                    session.send_instructions(updates)
                else:
                    session.set_updates(updates)
                session.maybe_deliver()

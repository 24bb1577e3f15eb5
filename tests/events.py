"""A listener for every event hook, so a test can see what was announced.

Events queue a job only when some plugin listens (``portal.jobs.outbox.emit``),
so a test that checks an event was fired registers this recorder and reads
what it heard, after commit, as any plugin would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from portal import hookimpl


class EventRecorder:
    """Hears every ``spkms_on_*`` hook and keeps (event, arguments) in order."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, dict[str, Any]]] = []

    def of(self, event: str) -> list[dict[str, Any]]:
        """The arguments of each ``event`` heard, in order."""
        return [payload for name, payload in self.heard if name == event]

    def _hear(self, event: str, **payload: Any) -> None:
        self.heard.append((event, payload))

    @hookimpl
    def spkms_on_judge_assigned(self, case_id: int, judge_id: int) -> None:
        self._hear("judge_assigned", case_id=case_id, judge_id=judge_id)

    @hookimpl
    def spkms_on_file_moved(self, file_id: int, movement_id: int, kind: str) -> None:
        self._hear("file_moved", file_id=file_id, movement_id=movement_id, kind=kind)

    @hookimpl
    def spkms_on_officer_posted(self, user_id: int, court_id: int) -> None:
        self._hear("officer_posted", user_id=user_id, court_id=court_id)

    @hookimpl
    def spkms_on_profile_loaded(self, state: str, changes: int) -> None:
        self._hear("profile_loaded", state=state, changes=changes)

    @hookimpl
    def spkms_on_case_registered(
        self, case_id: int, court_id: int, registered_from_court_id: int
    ) -> None:
        self._hear(
            "case_registered",
            case_id=case_id,
            court_id=court_id,
            registered_from_court_id=registered_from_court_id,
        )

    @hookimpl
    def spkms_on_case_status_changed(
        self, case_id: int, old_status: str, new_status: str
    ) -> None:
        self._hear(
            "case_status_changed",
            case_id=case_id,
            old_status=old_status,
            new_status=new_status,
        )

    @hookimpl
    def spkms_on_agency_message_received(
        self, message_id: int, agency: str, flow: str
    ) -> None:
        self._hear(
            "agency_message_received", message_id=message_id, agency=agency, flow=flow
        )

    @hookimpl
    def spkms_on_hearing_scheduled(self, hearing_id: int, case_id: int) -> None:
        self._hear("hearing_scheduled", hearing_id=hearing_id, case_id=case_id)

    @hookimpl
    def spkms_on_receipt_issued(self, receipt_id: int, case_id: int | None) -> None:
        self._hear("receipt_issued", receipt_id=receipt_id, case_id=case_id)


@contextmanager
def recording(app: Flask) -> Iterator[EventRecorder]:
    """Register an ``EventRecorder`` on ``app``'s plugins for the block."""
    manager = app.extensions["spkms"].plugin_manager
    recorder = EventRecorder()
    manager.register(recorder, name="test-event-recorder")
    try:
        yield recorder
    finally:
        manager.unregister(name="test-event-recorder")

"""The GB 25506 §4.2.2 procedure for a real fire as an ordered checklist, each step stamped when done."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Step(enum.StrEnum):
    """In the order the standard gives them; stored verbatim, so never rename one."""

    CONFIRM = "confirm"  # confirm the fire by the fastest means (camera, phone, a patrol sent)
    LINKAGE_AUTO = "linkage_auto"  # make sure the linkage controller is on automatic
    CALL_119 = "call_119"  # address, location, what burns, extent, caller
    START_PLAN = "start_plan"  # start the unit's internal fire-fighting and evacuation plan
    NOTIFY = "notify"  # report to the unit's person responsible for fire safety


STEPS: tuple[Step, ...] = tuple(Step)


class Outcome(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"


class ProcedureError(Exception):
    """The step cannot be recorded now; the message says why."""


@dataclass(frozen=True, slots=True)
class StepRecord:
    alarm_id: int
    step: Step
    outcome: Outcome
    time: datetime
    actor: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Procedure:
    """The steps recorded so far for one fire alarm, in order."""

    alarm_id: int
    records: tuple[StepRecord, ...] = ()

    @property
    def next_step(self) -> Step | None:
        return STEPS[len(self.records)] if len(self.records) < len(STEPS) else None

    @property
    def complete(self) -> bool:
        return self.next_step is None

    def record_of(self, step: Step) -> StepRecord | None:
        return next((r for r in self.records if r.step is step), None)


def advance(
    procedure: Procedure, step: Step, outcome: Outcome, actor: str, at: datetime, note: str = ""
) -> tuple[Procedure, StepRecord]:
    """Record ``step``; it must be the next one, and skipping it needs a reason."""
    expected = procedure.next_step
    if expected is None:
        raise ProcedureError("the procedure is complete")
    if step is not expected:
        raise ProcedureError(f"step {step} comes after {expected}: the steps are taken in order")
    if outcome is Outcome.SKIPPED and not note.strip():
        raise ProcedureError("skipping a step needs the reason")
    if at.tzinfo is None:
        raise ProcedureError("step times must be timezone-aware")
    previous = procedure.records[-1].time if procedure.records else None
    if previous is not None and at < previous:
        raise ProcedureError("a step cannot be stamped before the one it follows")
    record = StepRecord(procedure.alarm_id, step, outcome, at, actor, note.strip())
    return Procedure(procedure.alarm_id, (*procedure.records, record)), record


@dataclass(frozen=True, slots=True)
class CallDetails:
    """What the officer tells 119 (GB 25506 §4.2.2 c): address, location, what burns, extent, caller."""

    address: str
    location: str
    burning: str = ""
    extent: str = ""
    caller: str = ""

    def missing(self) -> list[str]:
        """The names of the fields still empty; 119 needs every one."""
        fields = ("address", "location", "burning", "extent", "caller")
        return [name for name in fields if not getattr(self, name).strip()]

    def note(self) -> str:
        # Stored records are written in the site's language, like the panels' own texts.
        return (f"地址：{self.address}；部位：{self.location}；燃烧物：{self.burning}；"
                f"火势：{self.extent}；报警人：{self.caller}")

"""Translated words and GB colours for the fire board: conditions, line states, point kinds, steps."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from console.domain.fire_board import Condition, Line
from console.domain.fire_procedure import Step

_CTX = "FireLabels"

# GB 4717 display colours: fire red, supervisory orange, fault yellow, disabled grey; the two information
# states (started, feedback) get calm colours that cannot be mistaken for an alarm.
CONDITION_COLOURS: dict[Condition, str] = {
    Condition.FIRE: "#e53935",
    Condition.SUPERVISORY: "#fb8c00",
    Condition.FAULT: "#fdd835",
    Condition.DISABLED: "#9e9e9e",
    Condition.STARTED: "#29b6f6",
    Condition.FEEDBACK: "#66bb6a",
}
QUIET_COLOUR = "#2a3139"  # a cell with nothing to report
LINE_COLOURS: dict[Line, str] = {Line.NORMAL: "#43a047", Line.FAULT: "#fdd835", Line.UNKNOWN: "#757575"}

_CONDITION = {
    Condition.FIRE: QT_TRANSLATE_NOOP("FireLabels", "Fire"),
    Condition.SUPERVISORY: QT_TRANSLATE_NOOP("FireLabels", "Supervisory"),
    Condition.FAULT: QT_TRANSLATE_NOOP("FireLabels", "Fault"),
    Condition.DISABLED: QT_TRANSLATE_NOOP("FireLabels", "Disabled"),
    Condition.STARTED: QT_TRANSLATE_NOOP("FireLabels", "Started"),
    Condition.FEEDBACK: QT_TRANSLATE_NOOP("FireLabels", "Feedback"),
}
_LINE = {
    Line.NORMAL: QT_TRANSLATE_NOOP("FireLabels", "normal"),
    Line.FAULT: QT_TRANSLATE_NOOP("FireLabels", "FAULT"),
    Line.UNKNOWN: QT_TRANSLATE_NOOP("FireLabels", "unknown"),
}
_POINT_KIND = {
    "detector": QT_TRANSLATE_NOOP("FireLabels", "Detector"),
    "manual_call_point": QT_TRANSLATE_NOOP("FireLabels", "Manual call point"),
    "module": QT_TRANSLATE_NOOP("FireLabels", "Input/output module"),
}
_STEP = {
    Step.CONFIRM: QT_TRANSLATE_NOOP("FireLabels", "Confirm the fire by the fastest means"),
    Step.LINKAGE_AUTO: QT_TRANSLATE_NOOP("FireLabels", "Make sure linkage control is on automatic"),
    Step.CALL_119: QT_TRANSLATE_NOOP("FireLabels", "Call 119"),
    Step.START_PLAN: QT_TRANSLATE_NOOP("FireLabels", "Start the internal fire plan"),
    Step.NOTIFY: QT_TRANSLATE_NOOP("FireLabels", "Notify the person responsible for fire safety"),
}
_STEP_HINT = {
    Step.CONFIRM: QT_TRANSLATE_NOOP(
        "FireLabels", "Look at the linked cameras, phone the building, or send the nearest patrol."),
    Step.LINKAGE_AUTO: QT_TRANSLATE_NOOP(
        "FireLabels", "Set the linkage controller to automatic, so fans, pumps and doors act by themselves."),
    Step.CALL_119: QT_TRANSLATE_NOOP(
        "FireLabels", "Give the address, the location, what burns, how far it has spread, and who calls."),
    Step.START_PLAN: QT_TRANSLATE_NOOP(
        "FireLabels", "Send the fire-fighting and evacuation teams as the plan says."),
    Step.NOTIFY: QT_TRANSLATE_NOOP(
        "FireLabels", "Report to the person responsible for fire safety, or to the fire safety manager."),
}


def _t(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def condition_label(condition: Condition) -> str:
    return _t(_CONDITION[condition])


def line_label(line: Line) -> str:
    return _t(_LINE[line])


def point_kind_label(kind: str) -> str:
    return _t(_POINT_KIND[kind]) if kind in _POINT_KIND else kind


def step_label(step: Step) -> str:
    return _t(_STEP[step])


def step_hint(step: Step) -> str:
    return _t(_STEP_HINT[step])

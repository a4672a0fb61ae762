"""Language choice, the Qt translators, and translated labels for the domain's enum values."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from console.domain.alarms import AlarmAction, AlarmStatus, Disposition
from console.domain.events import HealthState, Priority
from console.domain.roles import Role

LANGUAGES = ("zh_CN", "en")
QM_NAME = "campus_console_zh_CN.qm"
_CTX = "Labels"

# QT_TRANSLATE_NOOP only marks the text for lupdate; the lookup happens in the label functions, at use time,
# so a translator installed later still applies.
_PRIORITY = {
    Priority.FIRE: QT_TRANSLATE_NOOP("Labels", "Fire"),
    Priority.SUPERVISORY: QT_TRANSLATE_NOOP("Labels", "Supervisory"),
    Priority.FAULT: QT_TRANSLATE_NOOP("Labels", "Fault"),
    Priority.DISABLED: QT_TRANSLATE_NOOP("Labels", "Disabled"),
    Priority.SECURITY: QT_TRANSLATE_NOOP("Labels", "Security"),
    Priority.TECHNICAL: QT_TRANSLATE_NOOP("Labels", "Technical"),
    Priority.INFO: QT_TRANSLATE_NOOP("Labels", "Info"),
}
_STATUS = {
    AlarmStatus.NEW: QT_TRANSLATE_NOOP("Labels", "New"),
    AlarmStatus.ACKNOWLEDGED: QT_TRANSLATE_NOOP("Labels", "Acknowledged"),
    AlarmStatus.IN_PROGRESS: QT_TRANSLATE_NOOP("Labels", "In progress"),
    AlarmStatus.CLOSED: QT_TRANSLATE_NOOP("Labels", "Closed"),
}
_DISPOSITION = {
    Disposition.REAL: QT_TRANSLATE_NOOP("Labels", "Real fire"),
    Disposition.FALSE_ALARM: QT_TRANSLATE_NOOP("Labels", "False alarm"),
    Disposition.FAULT: QT_TRANSLATE_NOOP("Labels", "Equipment fault"),
    Disposition.TEST: QT_TRANSLATE_NOOP("Labels", "Test"),
    Disposition.NUISANCE: QT_TRANSLATE_NOOP("Labels", "Nuisance"),
}
_ACTION = {
    AlarmAction.ACKNOWLEDGE: QT_TRANSLATE_NOOP("Labels", "Acknowledge"),
    AlarmAction.START: QT_TRANSLATE_NOOP("Labels", "Start"),
    AlarmAction.CLOSE: QT_TRANSLATE_NOOP("Labels", "Close"),
    AlarmAction.NOTE: QT_TRANSLATE_NOOP("Labels", "Note"),
}
_REAL_INCIDENT = QT_TRANSLATE_NOOP("Labels", "Real incident")
_HEALTH = {
    HealthState.ONLINE: QT_TRANSLATE_NOOP("Labels", "Online"),
    HealthState.OFFLINE: QT_TRANSLATE_NOOP("Labels", "Offline"),
    HealthState.DEGRADED: QT_TRANSLATE_NOOP("Labels", "Degraded"),
    HealthState.UNKNOWN: QT_TRANSLATE_NOOP("Labels", "Unknown"),
}
_ROLE = {
    Role.ADMIN: QT_TRANSLATE_NOOP("Labels", "Administrator"),
    Role.SUPERVISOR: QT_TRANSLATE_NOOP("Labels", "Shift leader"),
    Role.OPERATOR: QT_TRANSLATE_NOOP("Labels", "Duty officer"),
    Role.VIEWER: QT_TRANSLATE_NOOP("Labels", "Viewer"),
}
_DEVICE_KIND = {
    "camera": QT_TRANSLATE_NOOP("Labels", "Cameras"),
    "panel": QT_TRANSLATE_NOOP("Labels", "Fire panels"),
    "gate": QT_TRANSLATE_NOOP("Labels", "Gates and doors"),
}

# Event kinds as the drivers and services name them (DeviceEvent.kind); unknown kinds show as they are.
_EVENT_KIND = {
    "fire.alarm": QT_TRANSLATE_NOOP("Labels", "Fire alarm"),
    "fire.prealarm": QT_TRANSLATE_NOOP("Labels", "Pre-alarm"),
    "fire.supervisory": QT_TRANSLATE_NOOP("Labels", "Supervisory"),
    "fire.fault": QT_TRANSLATE_NOOP("Labels", "Fault"),
    "fire.disabled": QT_TRANSLATE_NOOP("Labels", "Disabled"),
    "fire.started": QT_TRANSLATE_NOOP("Labels", "Started"),
    "fire.feedback": QT_TRANSLATE_NOOP("Labels", "Feedback"),
    "fire.delayed": QT_TRANSLATE_NOOP("Labels", "Delay"),
    "fire.reset": QT_TRANSLATE_NOOP("Labels", "Reset"),
    "fire.normal": QT_TRANSLATE_NOOP("Labels", "Back to normal"),
    "fire.operation": QT_TRANSLATE_NOOP("Labels", "Panel operation"),
    "fire.mains_fault": QT_TRANSLATE_NOOP("Labels", "Mains fault"),
    "fire.battery_fault": QT_TRANSLATE_NOOP("Labels", "Battery fault"),
    "fire.link_fault": QT_TRANSLATE_NOOP("Labels", "Link fault"),
    "fire.comm_fault": QT_TRANSLATE_NOOP("Labels", "Communication fault"),
    "fire.analog": QT_TRANSLATE_NOOP("Labels", "Analog value"),
    "fire.patrol_answer": QT_TRANSLATE_NOOP("Labels", "Roll-call answer"),
    "fire.user_data": QT_TRANSLATE_NOOP("Labels", "Transmission data"),
    "gate.pass": QT_TRANSLATE_NOOP("Labels", "Passage"),
    "gate.denied": QT_TRANSLATE_NOOP("Labels", "Access denied"),
    "gate.door": QT_TRANSLATE_NOOP("Labels", "Door state"),
    "gate.alarm.tailgating": QT_TRANSLATE_NOOP("Labels", "Tailgating"),
    "gate.alarm.reverse": QT_TRANSLATE_NOOP("Labels", "Reverse passage"),
    "gate.alarm.forced": QT_TRANSLATE_NOOP("Labels", "Forced door"),
    "gate.alarm.held_open": QT_TRANSLATE_NOOP("Labels", "Door held open"),
    "gate.alarm.climb": QT_TRANSLATE_NOOP("Labels", "Climbing over"),
    "gate.alarm.blocklist": QT_TRANSLATE_NOOP("Labels", "Block-list hit"),
    "gate.alarm.denylist": QT_TRANSLATE_NOOP("Labels", "Deny-list hit"),
    "gate.alarm.denied_burst": QT_TRANSLATE_NOOP("Labels", "Repeated refusals"),
    "gate.alarm.fire_release": QT_TRANSLATE_NOOP("Labels", "Fire release (doors open)"),
    "motion.started": QT_TRANSLATE_NOOP("Labels", "Motion"),
    "motion.ended": QT_TRANSLATE_NOOP("Labels", "Motion ended"),
    "motion.alarm": QT_TRANSLATE_NOOP("Labels", "Motion in armed zone"),
    "camera.motion": QT_TRANSLATE_NOOP("Labels", "Camera motion"),
    "camera.tamper": QT_TRANSLATE_NOOP("Labels", "Camera tamper"),
    "camera.input": QT_TRANSLATE_NOOP("Labels", "Camera input"),
    "device.offline": QT_TRANSLATE_NOOP("Labels", "Device offline"),
}

# Kept alive here: Qt does not own an installed translator, and a collected one silently stops working.
_installed: list[QTranslator] = []


def _t(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def priority_label(priority: Priority) -> str:
    return _t(_PRIORITY[priority])


def status_label(status: AlarmStatus) -> str:
    return _t(_STATUS[status])


def action_label(action: AlarmAction) -> str:
    return _t(_ACTION[action])


def disposition_label(disposition: Disposition, priority: Priority | None = None) -> str:
    # "Real fire" would be wrong for a forced door; only fire alarms get the fire wording.
    if disposition is Disposition.REAL and priority is not None and priority is not Priority.FIRE:
        return _t(_REAL_INCIDENT)
    return _t(_DISPOSITION[disposition])


def health_label(health: HealthState) -> str:
    return _t(_HEALTH[health])


def role_label(role: Role) -> str:
    return _t(_ROLE[role])


def device_kind_label(kind: str) -> str:
    return _t(_DEVICE_KIND[kind]) if kind in _DEVICE_KIND else kind


def event_kind_label(kind: str) -> str:
    return _t(_EVENT_KIND[kind]) if kind in _EVENT_KIND else kind


def choose_language(cli: str | None = None, site: str | None = None, system: str | None = None) -> str:
    """``--lang`` wins, then the site file's language, then the system locale (zh* → zh_CN, else en)."""
    for wanted in (cli, site):
        if wanted:
            return _normalise(wanted)
    return _normalise(system if system is not None else QLocale.system().name())


def _normalise(name: str) -> str:
    return "zh_CN" if name.replace("-", "_").lower().startswith("zh") else "en"


def qm_path() -> Path:
    return Path(str(importlib.resources.files("resources").joinpath("translations", QM_NAME)))


def install_translator(lang: str) -> str:
    """Replace any translators installed before (so tests and a language switch start clean)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication before installing a translator")
    while _installed:
        app.removeTranslator(_installed.pop())
    lang = _normalise(lang)
    QLocale.setDefault(QLocale("zh_CN" if lang == "zh_CN" else "en_US"))  # dates and numbers follow
    if lang == "en":
        return lang  # the source strings are English
    ours = QTranslator(app)
    if not ours.load(str(qm_path())):
        raise FileNotFoundError(f"translation {qm_path()} is missing; run packaging/i18n.py")
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    base = QTranslator(app)
    # Qt's own strings (the OK/Cancel of dialog button boxes); optional, the bundle may lack them.
    translators = [ours, base] if base.load(f"qtbase_{lang}", qt_dir) else [ours]
    for translator in translators:
        app.installTranslator(translator)
        _installed.append(translator)
    return lang

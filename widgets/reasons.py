"""Device health reasons in the officer's language: the stream workers' and drivers' reason codes."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_CTX = "Reasons"
# The codes the video workers and the driver host report (console/video/status.py, drivers_host.py).
_KNOWN = {
    "auth failed": QT_TRANSLATE_NOOP("Reasons", "authentication failed"),
    "not found": QT_TRANSLATE_NOOP("Reasons", "stream not found"),
    "unreachable": QT_TRANSLATE_NOOP("Reasons", "unreachable"),
    "timeout": QT_TRANSLATE_NOOP("Reasons", "timed out"),
    "unsupported codec": QT_TRANSLATE_NOOP("Reasons", "unsupported codec"),
    "stream ended": QT_TRANSLATE_NOOP("Reasons", "stream ended"),
    "stream error": QT_TRANSLATE_NOOP("Reasons", "stream error"),
    "no stream URL": QT_TRANSLATE_NOOP("Reasons", "no stream URL"),
    "stalled": QT_TRANSLATE_NOOP("Reasons", "no new frames (stalled)"),
    "reconnecting": QT_TRANSLATE_NOOP("Reasons", "reconnecting"),
    "offline": QT_TRANSLATE_NOOP("Reasons", "offline"),
    "demo scenario": QT_TRANSLATE_NOOP("Reasons", "demo scenario"),
}
_PREFIXES = {
    "reconnecting: ": QT_TRANSLATE_NOOP("Reasons", "reconnecting: {reason}"),
    "listening on ": QT_TRANSLATE_NOOP("Reasons", "listening on {reason}"),
    "camera clock off by ": QT_TRANSLATE_NOOP("Reasons", "camera clock off by {reason}"),
}


def reason_label(reason: str) -> str:
    """A known code translated; a known prefix translated around its (translated) rest; else as given."""
    if reason in _KNOWN:
        return QCoreApplication.translate(_CTX, _KNOWN[reason])
    for prefix, template in _PREFIXES.items():
        if reason.startswith(prefix):
            rest = reason[len(prefix) :]
            return QCoreApplication.translate(_CTX, template).format(reason=reason_label(rest))
    return reason

"""What the views may use: the services of a running engine, bundled so no view reaches further."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.bus import Bus
from console.config import Site

from .accounts import Accounts
from .alarm_center import AlarmCenter
from .audit import AuditLog
from .device_commands import DeviceCommands
from .devices import DeviceRegistry
from .fire_procedure import FireProcedures
from .gate_lists import GateLists
from .gates import GateLog
from .onvif_cameras import OnvifCameras

if TYPE_CHECKING:  # the video package imports PyAV; the façade's users get it only when the engine runs video
    from console.video.facade import VideoFacade


@dataclass(frozen=True)
class ConsoleServices:
    site: Site
    bus: Bus
    accounts: Accounts
    alarms: AlarmCenter
    devices: DeviceRegistry
    audit: AuditLog
    # Reads the newest stored events (newest first) on the caller's own connection: (limit) -> dicts.
    recent_events: Callable[[int], list[dict[str, Any]]]
    # History of one alarm: (alarm id) -> list of action dicts.
    alarm_history: Callable[[int], list[dict[str, Any]]]
    # The gate log (filtered, masked, audited reads; CSV export) and the deny / allow lists.
    gate_log: GateLog
    gate_lists: GateLists
    # The GB 25506 checklist and the fire board's event backlog; None where the engine offers no fire desk.
    fire_procedures: FireProcedures | None = None
    commands: DeviceCommands | None = None
    # Live video: frame slots, stream states and view requests; None when the engine runs without video.
    video: VideoFacade | None = None
    # The data directory (snapshots go to its snapshots/ folder); None in views built without an engine.
    data_dir: Path | None = None
    # ONVIF: add-camera wizard, PTZ and presets, camera clock; None in views built without an engine.
    onvif: OnvifCameras | None = None

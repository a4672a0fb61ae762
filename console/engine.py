"""The Qt-free engine: store, bus, accounts, audit, alarms, devices and the driver host, wired for a site."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.bus import Bus
from console.config import MOTION_FRAME_SIZE, Site
from console.demo_runner import SimulatorProcesses
from console.drivers_host import DriverHost
from console.services import audit
from console.services.accounts import Accounts
from console.services.alarm_center import AlarmCenter
from console.services.audit import AuditLog, append_audit
from console.services.credentials import Credential, CredentialError, CredentialStore
from console.services.devices import DeviceRegistry, DeviceStatus
from console.services.gate_rules import GateRules
from console.services.gates import GateIndexer, GateLog
from console.services.housekeeping import Housekeeping
from console.services.linkage import Linkage
from console.storage.files import FileStore
from console.storage.store import Store, Tx
from drivers.base import DeviceInfo, HealthState, create_driver, settings_model

if TYPE_CHECKING:
    from console.services.facade import ConsoleServices
    from console.video.engine import VideoEngine

log = logging.getLogger(__name__)


class Engine:
    """Everything the console does, without a window. ``start``/``stop`` bracket its threads."""

    def __init__(
        self,
        site: Site,
        data_dir: Path,
        *,
        credentials: CredentialStore | None = None,
        accounts_hasher: object | None = None,
        site_text: str | None = None,
        store_max_batch: int | None = None,
        video: bool = False,
        site_dir: Path | None = None,
    ) -> None:
        self.site = site
        self.site_text = site_text
        # The site file the administrator's edits (the add-camera wizard) are written to; None = read-only
        # (the bundled demo site, tools and tests).
        self.site_path: Path | None = None
        self.data_dir = Path(data_dir)
        self.bus = Bus()
        self.store = Store(
            self.data_dir,
            publish=self.bus.publish,
            **({"max_batch": store_max_batch} if store_max_batch else {}),
        )
        self.audit = AuditLog(self.store)
        self.accounts = Accounts(
            self.store, self.audit, **({"hasher": accounts_hasher} if accounts_hasher else {})
        )
        self.linkage = Linkage.from_site(site)
        self.alarms = AlarmCenter(self.store, self.accounts, self.linkage)
        # Gate log index and gate alarm rules: ingest hooks, so they must exist before any event is stored.
        self.gate_index = GateIndexer(self.store, site)
        self.gate_rules = GateRules(self.store, site)
        self.devices = DeviceRegistry(self.store)
        self.credentials = credentials
        self.files = FileStore(self.data_dir)
        self.host = DriverHost(
            self.store.ingest,
            self._driver_health,
            self._secret,
            on_batch=self.store.add_batch_listener,
            files=self.files.save,
        )
        self.housekeeping = Housekeeping([("person data retention", self._purge_person_data)])
        self._started = False
        self.simulators = SimulatorProcesses(site.demo.simulators if site.demo else [])
        # Live video, one stream worker per camera. Off unless asked: tools and tests that need no pictures
        # open no camera connections. site_dir resolves relative file: URLs (the demo's clips).
        self.video = self._make_video(site_dir) if video else None

    def _purge_person_data(self) -> int:
        return GateLog(self.store, self.accounts, self.audit, self.files, self.site).purge_person_data()

    def _driver_health(self, device_id: str, state: HealthState, reason: str) -> None:
        # A camera's health is its video's; its ONVIF events driver reports one side of it.
        if self.video is not None and any(c.id == device_id for c in self.site.cameras):
            self.devices.set_aspect_health(device_id, "events", state, reason)
        else:
            self.devices.set_health(device_id, state, reason)

    def _credential(self, name: str) -> Credential | None:
        if self.credentials is None:
            return None
        try:
            return self.credentials.get(name)
        except CredentialError as exc:  # e.g. the file's master password was not given: say so, don't crash
            log.warning("credential %r unavailable: %s", name, exc)
            return None

    def _secret(self, name: str) -> str | None:
        credential = self._credential(name)
        return credential.secret if credential else None

    def start(self) -> None:
        self.store.open()
        try:
            self.alarms.load()
            self.devices.declare(self._device_statuses())
            self.audit.record(
                "system", audit.APP_START, self.site.site.name, {"data_dir": str(self.data_dir)}
            )
            if self.site_text is not None:
                self.store.submit(self._note_site_change).result(10)
            for info, driver_name, settings in self._driver_devices():
                self.host.add(info, create_driver(driver_name, settings))
            self.host.start()
            self.housekeeping.start()
            self.simulators.start()
            if self.video is not None:
                self.video.start()
        except BaseException:
            self.store.close()
            raise
        self._started = True
        log.info("engine started for site %r with %d drivers", self.site.site.name, len(self.host.slots))

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self.video is not None:
            self.video.stop()  # first: its health reports go through the store
        # Health reports end before the drivers stop: a stream we close is not a device going offline,
        # and recording it left 'device offline' alarms for the next start. Drivers stop before the demo
        # simulators they talk to.
        self.devices.close()
        self.host.stop()
        self.simulators.stop()
        self.housekeeping.stop()
        self.audit.record("system", audit.APP_STOP, self.site.site.name).result(10)
        self.store.close()
        log.info("engine stopped")

    def _make_video(self, site_dir: Path | None) -> VideoEngine:
        from console.paths import demo_site_path
        from console.video.engine import VideoEngine  # imports PyAV: only when video is wanted

        if site_dir is None:
            site_dir = demo_site_path().parent if self.site.demo else Path.cwd()
        video = VideoEngine(
            self.site.cameras, self._camera_credential, self.devices.set_health, base_dir=site_dir
        )
        self._attach_motion(video, site_dir)
        return video

    def motion_zones_path(self, camera_id: str) -> Path:
        """Where the zone editor keeps a camera's zones (they override the site file's)."""
        return self.data_dir / "motion" / f"{camera_id}.json"

    def _attach_motion(self, video: VideoEngine, site_dir: Path) -> None:
        from zoneinfo import ZoneInfo

        from console.video.motion_worker import CameraMotion, MotionWorker, load_zones_file, save_zones_file
        from console.video.motion_zones import Zone, parse_zones

        cameras = []
        for cam in self.site.cameras:
            settings = cam.motion
            if settings is None or not settings.enabled or video.analysis_slot(cam.id) is None:
                continue
            zones: list[Zone] = []
            try:
                saved = self.motion_zones_path(cam.id)
                if saved.is_file():
                    zones = load_zones_file(saved)
                elif settings.zones_file:
                    zones = load_zones_file(site_dir / settings.zones_file)
                else:
                    zones = parse_zones({"zones": settings.zones})
            except (OSError, ValueError) as exc:  # ZoneConfigError and JSON/TOML errors are ValueErrors
                log.error("camera %s: motion zones not loaded (%s); watching the whole frame", cam.id, exc)
            cameras.append(CameraMotion(cam.id, cam.name, tuple(zones), settings.sensitivity))
        if not cameras:
            return
        worker = MotionWorker(
            cameras,
            video.analysis_slot,
            self.store.ingest,
            rate=video.config.analysis_fps or 5.0,
            tz=ZoneInfo(self.site.site.timezone),
        )

        def save_zones(camera_id: str, zones: Sequence[Zone], actor: str) -> None:
            size = worker.frame_size(camera_id) or MOTION_FRAME_SIZE
            worker.set_zones(camera_id, zones, size)  # raises ZoneConfigError before anything is written
            path = self.motion_zones_path(camera_id)
            save_zones_file(path, zones)
            detail = {"camera": camera_id, "file": str(path), "zones": [z.name for z in zones]}
            self.audit.record(actor, audit.CONFIG_CHANGE, f"motion-zones:{camera_id}", detail)

        video.attach_motion(worker, save_zones)

    def _camera_credential(self, name: str) -> tuple[str, str] | None:
        credential = self._credential(name)
        return (credential.username, credential.secret) if credential else None

    def _note_site_change(self, tx: Tx) -> None:
        """A site file that differs from the one the last run used is a configuration change: audit it."""
        digest = hashlib.sha256((self.site_text or "").encode("utf-8")).hexdigest()
        row = tx.conn.execute("SELECT value FROM settings WHERE key = 'site_sha256'").fetchone()
        if row is not None and row[0] == digest:
            return
        tx.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('site_sha256', ?)", (digest,))
        detail = {"previous_sha256": row[0] if row else None, "sha256": digest, "site": self.site.site.name}
        append_audit(tx, "system", audit.CONFIG_CHANGE, "site", detail)

    def _device_statuses(self) -> list[DeviceStatus]:
        out = [DeviceStatus(c.id, c.name, "camera", c.campus) for c in self.site.cameras]
        out += [DeviceStatus(p.id, p.name, "panel", p.campus) for p in self.site.panels]
        out += [DeviceStatus(g.id, g.name, "gate", g.campus) for g in self.site.gates]
        return out

    def _driver_devices(self) -> list[tuple[DeviceInfo, str, object]]:
        result = []
        for kind, devices in (("panel", self.site.panels), ("gate", self.site.gates)):
            for d in devices:
                points = {p.address: p.id for p in self.site.points if p.device == d.id}
                info = DeviceInfo(d.id, d.name, kind, points, d.credential)
                result.append((info, d.driver, d.settings))
        result += self._onvif_event_devices()
        return result

    def _onvif_event_devices(self) -> list[tuple[DeviceInfo, str, object]]:
        """Cameras with an ONVIF endpoint and a credential get the cameras.onvif PullPoint events driver."""
        result: list[tuple[DeviceInfo, str, object]] = []
        for cam in self.site.cameras:
            if cam.onvif is None or cam.credential is None:
                continue
            stored = self._credential(cam.credential)
            # Without a stored credential the driver still runs and reports the missing password as health.
            settings = settings_model("cameras.onvif")(
                host=cam.onvif.host, port=cam.onvif.port, user=stored.username if stored else "admin"
            )
            points = {p.address: p.id for p in self.site.points if p.device == cam.id}
            result.append((DeviceInfo(cam.id, cam.name, "camera", points, cam.credential), "cameras.onvif",
                           settings))
        return result


def _onvif_tool() -> object:
    """The ONVIF adapter module, loaded on first use (the registry keeps the core free of driver imports)."""
    import drivers.base

    return drivers.base.load_tool("onvif")  # type: ignore[attr-defined,no-any-return]


def services_of(engine: Engine) -> ConsoleServices:
    """The façade the views get: services plus read helpers that open their own connections."""
    from console.services.device_commands import DeviceCommands
    from console.services.facade import ConsoleServices
    from console.services.fire_procedure import FireProcedures
    from console.services.gate_lists import GateLists
    from console.services.gates import GateLog
    from console.services.onvif_cameras import OnvifCameras
    from console.storage import alarm_rows, queries

    def recent_events(limit: int) -> list[dict[str, object]]:
        with engine.store.reading() as conn:
            return list(queries.events(conn, queries.EventFilter(limit=limit, newest_first=True)))

    def alarm_history(alarm_id: int) -> list[dict[str, object]]:
        with engine.store.reading() as conn:
            return alarm_rows.history(conn, alarm_id)

    return ConsoleServices(
        site=engine.site,
        bus=engine.bus,
        accounts=engine.accounts,
        alarms=engine.alarms,
        devices=engine.devices,
        audit=engine.audit,
        recent_events=recent_events,
        alarm_history=alarm_history,
        gate_log=GateLog(engine.store, engine.accounts, engine.audit, engine.files, engine.site),
        gate_lists=GateLists(engine.store, engine.accounts, engine.site, engine.gate_rules),
        video=engine.video.facade() if engine.video is not None else None,
        fire_procedures=FireProcedures(engine.store, engine.accounts, engine.site),
        commands=DeviceCommands(engine.host.call, engine.accounts, engine.audit),
        onvif=OnvifCameras(
            engine.site, engine.accounts, engine.audit, engine.devices, engine.host.run_in_loop,
            _onvif_tool, engine.credentials, site_path=engine.site_path,
        ),
        data_dir=engine.data_dir,
    )

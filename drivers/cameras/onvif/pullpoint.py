"""One ONVIF PullPoint subscription: create, pull (keeping the reply's raw XML), renew, unsubscribe."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lxml import etree
from onvif.util import normalize_url
from zeep import Plugin

from drivers.cameras.onvif.errors import OnvifError
from drivers.cameras.onvif.session import OnvifSession

log = logging.getLogger(__name__)

PULLPOINT_PORT = "PullPointSubscription"
PULLPOINT_NS = f"http://www.onvif.org/ver10/events/wsdl/{PULLPOINT_PORT}"


class _CaptureReply(Plugin):  # type: ignore[misc]
    """Keeps the envelope of the last PullMessages reply so events are parsed (and stored) from the wire."""

    def __init__(self) -> None:
        self.last: bytes | None = None

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        if getattr(operation, "name", "") == "PullMessages":
            self.last = etree.tostring(envelope)
        return envelope, http_headers


def duration(seconds: float) -> str:
    return f"PT{max(0.0, seconds):g}S"


class PullPointSubscription:
    def __init__(self, session: OnvifSession, *, subscription_s: float = 60.0, pull_timeout_s: float = 5.0,
                 message_limit: int = 100) -> None:
        self.session = session
        self.subscription_s = subscription_s
        self.pull_timeout_s = pull_timeout_s
        self.message_limit = message_limit
        self.address: str | None = None
        self.renew_at = 0.0
        self._capture = _CaptureReply()

    async def create(self) -> str:
        reply = await self.session.call("events", "CreatePullPointSubscription",
                                        {"InitialTerminationTime": duration(self.subscription_s)})
        ref = getattr(getattr(reply, "SubscriptionReference", None), "Address", None)
        address = getattr(ref, "_value_1", None) or (ref if isinstance(ref, str) else None)
        if not address:
            raise OnvifError("malformed", "Events CreatePullPointSubscription", self.session.where,
                             "no subscription address")
        camera = self.session.camera
        assert camera is not None
        camera.xaddrs[PULLPOINT_NS] = camera.rewrite_url(normalize_url(str(address)))
        self.address = str(address)
        self._schedule_renew()
        return self.address

    def _schedule_renew(self) -> None:
        # Renew at 80 % of the term, as cameras drop a subscription the moment it runs out.
        self.renew_at = asyncio.get_running_loop().time() + self.subscription_s * 0.8

    @property
    def renew_due(self) -> bool:
        return asyncio.get_running_loop().time() >= self.renew_at

    async def pull(self) -> bytes:
        """One PullMessages (long poll); returns the raw reply envelope."""
        service = await self.session.service("pullpoint", PULLPOINT_PORT)
        plugins = service.zeep_client.plugins
        if self._capture not in plugins:
            plugins.append(self._capture)
        self._capture.last = None
        await self.session.call(
            "pullpoint", "PullMessages",
            {"Timeout": duration(self.pull_timeout_s), "MessageLimit": self.message_limit},
            port_type=PULLPOINT_PORT, timeout=self.pull_timeout_s + self.session.timeout,
        )
        if self._capture.last is None:
            raise OnvifError("malformed", "PullPoint PullMessages", self.session.where, "empty reply")
        return self._capture.last

    async def renew(self) -> None:
        await self.session.call("subscription", "Renew", {"TerminationTime": duration(self.subscription_s)},
                                port_type=PULLPOINT_PORT)
        self._schedule_renew()

    async def unsubscribe(self) -> None:
        """Best effort: the subscription expires on the camera anyway."""
        try:
            await self.session.call("subscription", "Unsubscribe", port_type=PULLPOINT_PORT, timeout=2.0)
        except OnvifError as exc:
            log.debug("unsubscribe: %s", exc)

"""`campus-console onvif discover|probe|ptz`: talk to an ONVIF camera from the command line.

Exit codes: 0 ok, 2 usage, 3 authentication failed, 4 unreachable or timed out, 5 SOAP fault, malformed
reply or unsupported operation. The adapter comes through the driver registry (``load_tool("onvif")``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE, EXIT_FAULT = 0, 2, 3, 4, 5
_EXIT_BY_KIND = {"auth": EXIT_AUTH, "timeout": EXIT_UNREACHABLE, "unreachable": EXIT_UNREACHABLE,
                 "fault": EXIT_FAULT, "malformed": EXIT_FAULT, "unsupported": EXIT_FAULT}


class _Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="campus-console onvif", description="ONVIF camera tools")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    disc = sub.add_parser("discover", help="WS-Discovery probe on the local networks (multicast)")
    disc.add_argument("--timeout", type=float, default=3.0, help="seconds to listen for answers")
    disc.add_argument("--json", action="store_true")

    def camera(p: argparse.ArgumentParser) -> None:
        p.add_argument("address", metavar="HOST[:PORT]", help="camera ONVIF address (port 80 if omitted)")
        p.add_argument("--user", required=True)
        p.add_argument("--password-env", required=True, metavar="VAR",
                       help="environment variable holding the password (never on the command line)")
        p.add_argument("--timeout", type=float, default=10.0, help="seconds per operation")
        p.add_argument("--json", action="store_true")

    probe = sub.add_parser("probe", help="device information, profiles, stream URIs, clock")
    camera(probe)

    ptz = sub.add_parser("ptz", help="move, go to a preset or list presets")
    camera(ptz)
    what = ptz.add_mutually_exclusive_group(required=True)
    what.add_argument("--move", metavar="PAN,TILT,ZOOM", help="continuous move velocity, each -1..1")
    what.add_argument("--goto-preset", metavar="TOKEN")
    what.add_argument("--list-presets", action="store_true")
    ptz.add_argument("--seconds", type=float, help="with --move: stop after this long")
    ptz.add_argument("--profile", help="media profile token (default: the first PTZ profile)")
    return parser


def split_address(text: str) -> tuple[str, int]:
    """HOST, HOST:PORT, [V6] or [V6]:PORT; a bare IPv6 address has no port."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "80"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "80"
    if not host:
        raise _Usage(f"no host in {text!r}")
    try:
        number = int(port)
    except ValueError:
        raise _Usage(f"bad port in {text!r}") from None
    if not 1 <= number <= 65535:
        raise _Usage(f"bad port in {text!r}")
    return host, number


def _velocity(text: str) -> tuple[float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise _Usage(f"--move wants PAN,TILT,ZOOM numbers, not {text!r}") from None
    if len(values) != 3 or any(not -1.0 <= v <= 1.0 for v in values):
        raise _Usage(f"--move wants three numbers between -1 and 1, not {text!r}")
    return values[0], values[1], values[2]


def _password(var: str) -> str:
    value = os.environ.get(var)
    if value is None:
        raise _Usage(f"environment variable {var} is not set")
    return value


async def _probe(tool: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    host, port = split_address(args.address)
    return dict(await tool.probe(host, port, args.user, _password(args.password_env), timeout=args.timeout))


async def _ptz(tool: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    host, port = split_address(args.address)
    password = _password(args.password_env)
    move = _velocity(args.move) if args.move else None
    if args.seconds is not None and move is None:
        raise _Usage("--seconds goes with --move")
    cam = (host, port, args.user, password)
    profile = args.profile or await _default_profile(tool, *cam)
    out: dict[str, Any] = {"host": host, "port": port, "profile": profile, "warnings": []}
    if args.list_presets:
        out["presets"] = await tool.presets(*cam, profile)
    elif args.goto_preset:
        await tool.goto_preset(*cam, profile, args.goto_preset)
        out["goto_preset"] = args.goto_preset
    elif move is not None:
        out["move"] = await tool.ptz_move(*cam, profile, *move, seconds=args.seconds)
        # The camera accepted the move; a status it cannot report is worth a warning, not a failure.
        try:
            out["status"] = await tool.ptz_status(*cam, profile)
        except tool.OnvifError as exc:
            out["status"] = None
            out["warnings"].append(str(exc))
    return out


async def _default_profile(tool: ModuleType, host: str, port: int, user: str, password: str) -> str:
    profiles = await tool.profiles(host, port, user, password)
    if not profiles:
        raise tool.OnvifError("unsupported", "Media GetProfiles", f"{host}:{port}", "no media profiles")
    with_ptz = [p for p in profiles if p["ptz"]]
    return str((with_ptz or profiles)[0]["token"])


async def _discover(tool: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    return {"devices": await tool.discover(args.timeout)}


def _human(action: str, result: dict[str, Any]) -> str:
    if action == "discover":
        lines = [f"{len(result['devices'])} device(s)"]
        for d in result["devices"]:
            name, hardware = d["name"] or "?", d["hardware"] or ""
            lines.append(f"  {d['host']}:{d['port']}  {name}  {hardware}  ({d['via']})")
        return "\n".join(lines)
    if action == "probe":
        lines = [f"{result['manufacturer']} {result['model']} (firmware {result['firmware']}, "
                 f"serial {result['serial']}) at {result['host']}:{result['port']}",
                 f"  PTZ: {'yes' if result['ptz'] else 'no'}   "
                 f"events: {'yes' if result['events'] else 'no'}   "
                 f"clock offset: {result['clock_offset_s']} s"]
        for p in result["profiles"]:
            lines.append(f"  profile {p['token']}: {p['encoding']} {p['width']}x{p['height']} "
                         f"@{p['fps']} {'PTZ ' if p['ptz'] else ''}{p['stream_uri'] or '(no stream URI)'}")
        lines.append(f"  snapshot: {result['snapshot_uri']}")
        lines += [f"  warning: {w}" for w in result["warnings"]]
        return "\n".join(lines)
    lines = [f"profile {result['profile']}"]
    if "presets" in result:
        lines += [f"  preset {p['token']}: {p['name']}" for p in result["presets"]]
    if "goto_preset" in result:
        lines.append(f"  going to preset {result['goto_preset']}")
    if "move" in result:
        m = result["move"]
        lines.append(f"  moved pan={m['pan']} tilt={m['tilt']} zoom={m['zoom']}"
                     + (" and stopped" if m["stopped"] else ""))
        if result.get("status"):
            lines.append(f"  status: {result['status']}")
    lines += [f"  warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


_ACTIONS: dict[str, Callable[[ModuleType, argparse.Namespace], Awaitable[dict[str, Any]]]] = {
    "discover": _discover, "probe": _probe, "ptz": _ptz,
}


async def _run(tool: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    try:
        return await _ACTIONS[args.action](tool, args)
    finally:
        await tool.close_all()


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from drivers.base import load_tool

    tool = load_tool("onvif")
    try:
        result = asyncio.run(_run(tool, args))
    except _Usage as exc:
        print(f"campus-console onvif: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except tool.OnvifError as exc:
        code = _EXIT_BY_KIND.get(exc.kind, EXIT_FAULT)
        if args.json:
            print(json.dumps({"ok": False, "kind": exc.kind, "error": str(exc)}, ensure_ascii=False))
        print(f"campus-console onvif: {exc}", file=sys.stderr)
        return code
    if args.json:
        print(json.dumps({"ok": True, **result}, ensure_ascii=False))
    else:
        print(_human(args.action, result))
    return EXIT_OK

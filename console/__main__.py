"""The `campus-console` command: the GUI by default, subcommands for events, audit, bench, run, …"""

from __future__ import annotations

import sys

from console.cli import admin, records, run
from console.cli.common import ConfigError, UsageError
from console.cli.parser import parse
from console.storage.store import StoreError

COMMANDS = {
    "run": run.cmd_run,
    "events": records.cmd_events,
    "audit": records.cmd_audit,
    "check-config": admin.cmd_check_config,
    "config-example": admin.cmd_config_example,
    "credentials": admin.cmd_credentials,
    "users": admin.cmd_users,
}


def _bench(args: object) -> int:
    from console.bench.cli import cmd_bench

    return cmd_bench(args)


def _simulate(args: object) -> int:
    from drivers.base import simulator_main

    try:
        run = simulator_main(args.simulator)  # type: ignore[attr-defined]
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    return run(list(args.sim_args))  # type: ignore[attr-defined]


def _motion_scan(args: object) -> int:
    from console.cli.motion_scan import main as scan_main

    return scan_main(list(args.scan_args))  # type: ignore[attr-defined]


def _onvif(args: object) -> int:
    from console.cli.onvif import main as onvif_main

    return onvif_main(list(args.onvif_args))  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        if args.command is None:
            from console.app import run_gui

            return run_gui(args)
        special = {"bench": _bench, "simulate": _simulate, "motion-scan": _motion_scan, "onvif": _onvif}
        handler = special.get(args.command) or COMMANDS[args.command]
        return handler(args)
    except ConfigError as exc:
        for issue in exc.errors:
            print(issue, file=sys.stderr)
        print("the site file has errors; nothing was started", file=sys.stderr)
        return 1
    except (StoreError, UsageError) as exc:
        print(f"campus-console: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `campus-console events | head`: the reader left, which is fine
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

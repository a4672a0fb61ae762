"""`campus-console run --headless`: the engine with no window, stopping cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from console.engine import Engine

from .common import data_dir, load, setup_logging, site_text

log = logging.getLogger(__name__)


def cmd_run(args: argparse.Namespace) -> int:
    if not args.headless:
        from console.app import run_gui

        return run_gui(args)
    from console.app import open_credentials

    site = load(args)
    directory = data_dir(args)
    setup_logging(args.verbose, directory / "logs" / "console.log")
    # The same credential store as the GUI: without it every device that needs a password fails to log in.
    engine = Engine(site, directory, site_text=site_text(args),
                    credentials=open_credentials(directory, bool(args.demo or site.demo)))
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        engine.start()
        log.info("running headless with data in %s", directory)
        stop.wait(args.quit_after)
    finally:
        engine.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0

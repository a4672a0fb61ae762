"""Subcommands for administration: site-file checks, credentials and user accounts."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from console.config import ConfigError, example_site_text, load_site
from console.domain.roles import Role
from console.services.accounts import Accounts
from console.services.audit import CREDENTIAL_SET, AuditLog
from console.services.credentials import CredentialStore
from console.storage.store import Store

from .common import UsageError, data_dir


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        site = load_site(args.file)
    except ConfigError as exc:
        for issue in exc.errors:
            print(issue, file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {args.file}", file=sys.stderr)
        return 1
    print(
        f"{args.file}: OK — site {site.site.name!r}, {len(site.campuses)} campuses, "
        f"{len(site.cameras)} cameras, "
        f"{len(site.panels)} panels, {len(site.gates)} gates, {len(site.points)} points"
    )
    return 0


def cmd_config_example(args: argparse.Namespace) -> int:
    sys.stdout.write(example_site_text())
    return 0


def _secret(env: str | None, prompt: str) -> str:
    if env:
        value = os.environ.get(env)
        if value is None:
            raise UsageError(f"environment variable {env} is not set")
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"{prompt.rstrip(': ')}: stdin is not a terminal; pass it with an --...-env option")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise UsageError("the two entries differ")
    return first


def cmd_credentials(args: argparse.Namespace) -> int:
    store = CredentialStore(data_dir(args))
    if args.cred_command == "set":
        secret = _secret(args.secret_env, f"secret for {args.name}: ")
        store.set(args.name, args.username, secret)
        _audit(args, "admin-cli", CREDENTIAL_SET, args.name, {"backend": store.backend_name})
        print(f"credential {args.name!r} stored ({store.backend_name})")
    elif args.cred_command == "list":
        for name in store.names():
            print(name)
    else:
        store.delete(args.name)
        print(f"credential {args.name!r} deleted")
    return 0


def _audit(args: argparse.Namespace, actor: str, action: str, target: str, detail: dict[str, str]) -> None:
    with Store(data_dir(args)) as store:
        AuditLog(store).record(actor, action, target, detail).result(10)


def cmd_users(args: argparse.Namespace) -> int:
    with Store(data_dir(args)) as store:
        accounts = Accounts(store, AuditLog(store))
        if args.users_command == "list":
            for user in accounts.list_users(None):
                print(
                    f"{user.username:<20} {user.role:<11} {'disabled' if user.disabled else 'active':<9} "
                    f"{user.display_name}"
                )
            return 0
        password = _secret(args.password_env, f"password for {args.username}: ")
        name = args.name or args.username
        if not accounts.has_users():
            if args.role != "admin":
                raise UsageError("the first user must be an admin (--role admin)")
            accounts.create_first_admin(args.username, name, password)
        else:
            if not args.admin:
                raise UsageError("users exist already: pass --admin NAME and --admin-password-env VAR")
            session = accounts.login(
                args.admin, _secret(args.admin_password_env, f"password for {args.admin}: ")
            )
            accounts.create_user(session, args.username, name, Role(args.role), password)
            accounts.logout(session)
        print(f"user {args.username!r} ({args.role}) created")
    return 0

"""The class server's logins: jupyterhub-firstuseauthenticator's password store (bcrypt
hashes in a dbm file, its change-password page at /hub/auth/change-password), without its
first use.

With first-use passwords, whoever logs in first with a student's name chooses that
student's password: once the hub is reachable over the network, anyone who knows or
guesses a name can claim the account before its student does. Here no login sets a
password: `hub/users.py add` (and `add-teacher`, `reset-password`) writes each account's
first password, a random one the teacher hands out, and a name with no stored password
cannot log in at all. A student may change theirs on the change-password page.

And an account is a Unix user: a hub user whose Unix user is gone (removed with
`hub/users.py remove` while the hub was stopped) is not valid, and the hub deletes it from
its database at start (`delete_invalid_users`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pwd
import secrets

import bcrypt
from firstuseauthenticator import FirstUseAuthenticator

# 12 characters from 31 that cannot be misread on a slip of paper (no 0/o, 1/l/i):
# 31**12, about 2**59 passwords, and each guess costs a bcrypt check (cost 12: 1.1 s of the
# hub's time measured on this loaded 2-core machine)
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MAX_BYTES = 72  # bcrypt's limit (bcrypt 5 refuses longer passwords)


def new_password() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


@contextlib.contextmanager
def locked(dbm_path: str):
    """One writer at a time for the password file: the hub (a student changes their
    password) and hub/users.py (as root, while the hub runs). The dbm library Debian's
    Python uses (Berkeley DB's ndbm) does not lock the file itself."""
    fd = os.open(dbm_path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _open(dbm_path: str, flag: str = "c"):
    import dbm
    return dbm.open(dbm_path, flag, 0o600)


def has_password(dbm_path: str, name: str) -> bool:
    with locked(dbm_path), _open(dbm_path) as db:
        return db.get(name.encode("utf8")) is not None


def set_password(dbm_path: str, name: str, password: str) -> None:
    """Stores the password as the hub checks it (firstuseauthenticator's own reset_password)."""
    auth = ClassAuthenticator(dbm_path=dbm_path, check_passwords_on_startup=False)
    msg = auth.reset_password(name, password)
    if not has_password(dbm_path, name) or "success" not in msg:
        raise RuntimeError(f"could not store {name}'s password in {dbm_path}: {msg}")


def forget_password(dbm_path: str, name: str) -> None:
    with locked(dbm_path), _open(dbm_path) as db:
        if db.get(name.encode("utf8")) is not None:
            del db[name.encode("utf8")]


def password_matches(dbm_path: str, name: str, password: str) -> bool:
    with locked(dbm_path), _open(dbm_path) as db:
        stored = db.get(name.encode("utf8"))
    try:
        return stored is not None and bcrypt.checkpw(password.encode("utf8"), stored)
    except ValueError:  # bcrypt 5 refuses passwords longer than 72 bytes
        return False


class ClassAuthenticator(FirstUseAuthenticator):
    """FirstUseAuthenticator whose accounts all have a password before their first login."""

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        if not self.validate_username(name):
            return None
        # bcrypt takes about a second on a loaded server: not on the hub's event loop
        if not await asyncio.to_thread(password_matches, self.dbm_path, name, data.get("password", "")):
            return None
        return name

    def add_user(self, user):
        try:
            pwd.getpwnam(user.name)
        except KeyError:
            raise ValueError(f"{user.name} is not a Unix user of this server: add students with "
                             "hub/users.py add, teachers with hub/users.py add-teacher") from None
        super().add_user(user)

    def delete_user(self, user):
        forget_password(self.dbm_path, user.name)
        # FirstUseAuthenticator's own delete_user does not call the base class's, which takes
        # the name off allowed_users
        self.allowed_users.discard(user.name)

    def reset_password(self, username, new_password):
        if len(new_password.encode("utf8")) > MAX_BYTES:
            return f"Password too long! Please choose a password of at most {MAX_BYTES} bytes."
        with locked(self.dbm_path):
            return super().reset_password(username, new_password)

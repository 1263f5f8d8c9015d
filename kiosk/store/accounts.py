"""Staff accounts: PIN hashes by a slow KDF (scrypt), failed attempts and the lockout.

The lockout lives in the store, not in an app, so restarting a console does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from kiosk import clock as clk
from kiosk.exceptions import NotAllowed, PinError, UsageError
from kiosk.rows import Person
from kiosk.store.base import StoreBase

PIN_MAX_FAILURES = 5
PIN_LOCK_S = 60

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    scheme, n, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=8, p=1)
    return hmac.compare_digest(got.hex(), digest)


ADMIN_PIN_MIN = 6
"""An admin's PIN opens every report and the purge: at least 6 digits (a million
guesses, against ten thousand for a counter's 4)."""


def valid_pin(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12


class Accounts(StoreBase):
    """Adding staff and checking their PINs."""

    def staff_add(self, name: str, role: str, pin: str, *, reset: bool = False) -> None:
        """A new account; an existing name only with `reset` (a new PIN and this role):
        a typo must not silently replace someone's PIN or make them an admin."""
        name = name.strip()
        if not name:
            raise UsageError("a staff name cannot be empty")
        if role not in ("staff", "admin"):
            raise UsageError(f'role must be "staff" or "admin", got "{role}"')
        if not valid_pin(pin):
            raise UsageError("a PIN is 4 to 12 digits")
        if role == "admin" and len(pin) < ADMIN_PIN_MIN:
            raise UsageError(f"an admin's PIN is {ADMIN_PIN_MIN} to 12 digits")
        pin_hash = hash_pin(pin)
        with self.transaction():
            existing = self._one("SELECT role FROM staff WHERE name = ?", (name,))
            if existing and not reset:
                raise NotAllowed(f'"{name}" already has an account ({existing["role"]});'
                                 " add --reset-pin to give it a new PIN (and this role)")
            if existing:
                self.conn.execute(
                    "UPDATE staff SET role = ?, pin_hash = ?, failed = 0, locked_until = NULL"
                    " WHERE name = ?",
                    (role, pin_hash, name),
                )
            else:
                self.conn.execute(
                    "INSERT INTO staff (name, role, pin_hash, failed, created_at)"
                    " VALUES (?, ?, ?, 0, ?)",
                    (name, role, pin_hash, clk.iso(self.now())),
                )

    def verify_pin(
        self, name: str, pin: str, *, counter: int | None = None, need_role: str = "staff"
    ) -> Person:
        """Check a PIN; 5 failures lock the account for 60 s (kept here, not in an app).

        Each try takes its place in the count *before* the (slow) hash is checked, in one
        write transaction: tries made at the same moment (parallel tabs) can never check
        more PINs than the tries left. A right PIN clears the count."""
        now = self.now()
        at = clk.iso(now)
        refusal = ""
        with self.transaction():
            row = self._one("SELECT * FROM staff WHERE name = ?", (name.strip(),))
            if row is None:
                self._event("pin_failed", at, counter=counter, actor=name,
                            detail={"reason": "unknown name"})
                refusal = "wrong name or PIN"
            elif row["locked_until"] and clk.parse(row["locked_until"]) > now:
                wait = int((clk.parse(row["locked_until"]) - now).total_seconds()) + 1
                refusal = f"too many wrong PINs; try again in {wait} s"
            elif row["disabled"]:
                refusal = f"the account {row['name']} is disabled; ask an admin"
            elif int(row["failed"]) >= PIN_MAX_FAILURES:  # the allowance is taken
                self.conn.execute(
                    "UPDATE staff SET failed = 0, locked_until = ? WHERE id = ?",
                    (clk.iso(now + timedelta(seconds=PIN_LOCK_S)), row["id"]))
                self._event("pin_failed", at, counter=counter, actor=row["name"],
                            detail={"locked": True})
                refusal = f"too many wrong PINs; try again in {PIN_LOCK_S} s"
            else:
                self.conn.execute("UPDATE staff SET failed = failed + 1 WHERE id = ?",
                                  (row["id"],))
        if refusal:  # raised after COMMIT so the count and the event are kept
            raise PinError(refusal)
        assert row is not None
        ok = check_pin(pin, row["pin_hash"])  # slow on purpose; outside the write lock
        failure = ""
        with self.transaction():
            if ok:
                self.conn.execute(
                    "UPDATE staff SET failed = 0, locked_until = NULL WHERE id = ?", (row["id"],)
                )
            else:
                current = self._one("SELECT failed FROM staff WHERE id = ?", (row["id"],))
                # (removed meanwhile: nothing is left to try)
                failed = int(current["failed"]) if current else PIN_MAX_FAILURES
                failure = "wrong name or PIN"
                locked = failed >= PIN_MAX_FAILURES
                if locked:
                    failure = f"too many wrong PINs; try again in {PIN_LOCK_S} s"
                    self.conn.execute(
                        "UPDATE staff SET failed = 0, locked_until = ? WHERE id = ?",
                        (clk.iso(now + timedelta(seconds=PIN_LOCK_S)), row["id"]))
                self._event("pin_failed", at, counter=counter, actor=row["name"],
                            detail={"locked": locked})
        if failure:
            raise PinError(failure)
        if need_role == "admin" and row["role"] != "admin":
            raise PinError(f"{row['name']} is not an admin")
        return Person(row["name"], row["role"])

    def staff_list(self) -> list[dict[str, object]]:
        """Every account: name, role, whether disabled or locked now (never a PIN hash)."""
        now = self.now()
        return [{"name": r["name"], "role": r["role"], "disabled": bool(r["disabled"]),
                 "locked": bool(r["locked_until"] and clk.parse(r["locked_until"]) > now)}
                for r in self._rows("SELECT * FROM staff ORDER BY name")]

    def staff_set(self, name: str, action: str) -> None:
        """disable | enable | remove an account (its past events keep its name)."""
        if action not in ("disable", "enable", "remove"):
            raise UsageError(f'unknown action "{action}" (disable, enable, remove)')
        with self.transaction():
            if self._one("SELECT id FROM staff WHERE name = ?", (name,)) is None:
                raise UsageError(f'no account "{name}" (kiosk staff list shows them)')
            if action == "remove":
                self.conn.execute("DELETE FROM staff WHERE name = ?", (name,))
            else:
                self.conn.execute("UPDATE staff SET disabled = ? WHERE name = ?",
                                  (int(action == "disable"), name))
            self._event(f"staff_{action}d" if action != "remove" else "staff_removed",
                        clk.iso(self.now()), actor=name)

    def match_pin(self, pin: str) -> Person | None:
        """The account this PIN belongs to, or None: for the patron kiosk's exit, which
        asks no name (none is shown in the lobby) and counts its tries itself, so a PIN
        typed in the lobby never counts against, or locks, anyone's account."""
        if not valid_pin(pin):
            return None
        for row in self._rows("SELECT name, role, pin_hash FROM staff WHERE NOT disabled"
                              " ORDER BY id"):
            if check_pin(pin, row["pin_hash"]):
                return Person(row["name"], row["role"])
        return None

"""Team mode's state, in SQL through SQLAlchemy Core: clients, sign-in transactions, codes, tokens, grants and
each user's upstream token pair, encrypted at rest. SQLite for one replica, PostgreSQL for several.

Only team mode imports this module (its packages come with the `team` extra). Tokens the deployment issues are
stored as SHA-256 hashes; the upstream pair is sealed with AES-GCM under a key ring, so keys can rotate. The
upstream refresh is serialised per user across processes (a row lock on PostgreSQL; on SQLite, whose only lock is
the whole database's, a lease on the user's row, so no network call ever holds that lock) and the new pair is
committed before it is used, because the API's refresh tokens are single-use. Registered clients' secrets are
kept as hashes; clients, fetched or registered, are capped in number and expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import settings

EXPIRY_MARGIN_SECONDS = 60.0
"""An upstream access token this close to its expiry is refreshed before use."""
LOCK_WAIT_SECONDS = 30
"""The longest a caller waits for another process's refresh of the same user."""
LEASE_SECONDS = 2 * LOCK_WAIT_SECONDS
"""SQLite: how long a refresh may hold a user's lease before another process may take it over."""
LEASE_POLL_SECONDS = 0.05
CLIENT_LIFETIME_SECONDS = 90 * 24 * 3600.0
"""A registered client unused this long is forgotten (it registers again); each sign-in or refresh keeps it."""
UNUSED_CLIENT_SECONDS = 24 * 3600.0
"""A registered client that never completed a sign-in is forgotten after a day, and is the first to make room."""
FETCHED_CLIENT_SECONDS = 24 * 3600.0
"""A client named by its metadata document is fetched again after this long."""
MAX_CLIENTS = 10_000
"""Clients of each kind (registered, fetched) kept at once. Past it a new one takes the place of the oldest fetched
one, or of the oldest registered one that never signed anybody in; only when every registered client is in use is
a registration refused."""
ACCESS_LIFETIME_SECONDS = 3600
REFRESH_LIFETIME_SECONDS = 60 * 24 * 3600
GRACE_SECONDS = 60.0
"""How long a rotated refresh token still yields its successor: a client retrying (or refreshing from two
addresses at once) gets the same new pair instead of being signed out."""

metadata = sa.MetaData()
clients = sa.Table(
    "team_clients",
    metadata,
    sa.Column("client_id", sa.String(512), primary_key=True),
    sa.Column("info", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("kind", sa.String(16)),  # registered or fetched (older rows: registered)
    sa.Column("secret_hash", sa.String(64)),
    sa.Column("expires_at", sa.Float),
)
transactions = sa.Table(
    "team_transactions",
    metadata,
    sa.Column("state_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(512), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("consumed_at", sa.Float),
)
codes = sa.Table(
    "team_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(512), nullable=False),
    sa.Column("subject", sa.String(256), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("consumed_at", sa.Float),
    sa.Column("grant_id", sa.String(64)),  # the grant the code was exchanged for: a replay revokes it
)
grants = sa.Table(
    "team_grants",
    metadata,
    sa.Column("grant_id", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(512), nullable=False),
    sa.Column("subject", sa.String(256), nullable=False, index=True),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("resource", sa.String(1024)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
)
tokens = sa.Table(
    "team_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("grant_id", sa.String(64), nullable=False, index=True),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("rotated_at", sa.Float),
    sa.Column("successor", sa.Text),  # a rotated refresh token's successor pair, sealed, for the grace window
)
consents = sa.Table(
    "team_consents",
    metadata,
    sa.Column("subject", sa.String(256), primary_key=True),
    sa.Column("client_id", sa.String(512), primary_key=True),
    sa.Column("granted_at", sa.Float, nullable=False),
)
upstream = sa.Table(
    "team_upstream",
    metadata,
    sa.Column("subject", sa.String(256), primary_key=True),
    sa.Column("access_token", sa.Text, nullable=False),
    sa.Column("refresh_token", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("needs_sign_in", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float),  # SQLite: a refresh in progress, by `lease_owner`, until then
    sa.Column("lease_owner", sa.String(32)),
)


class StoreError(Exception):
    """The store cannot work as configured (no key ring, a malformed key, an unreachable database)."""


@dataclass(frozen=True)
class Grant:
    """What a token the deployment issued stands for: a client acting for a user, for a resource."""

    grant_id: str
    client_id: str
    subject: str
    scopes: tuple[str, ...]
    resource: str | None
    expires_at: float


@dataclass(frozen=True)
class IssuedPair:
    access_token: str
    refresh_token: str
    expires_in: int
    grant: Grant


class SignInNeeded(Exception):
    """The user has no usable upstream grant: the refresh token itself was refused, or they never signed in."""


def token_hash(token: str) -> str:
    """What is stored of a token the deployment issues (they are 256-bit random, so a plain hash will do)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# -- the key ring ------------------------------------------------------------------------------------------


class KeyRing:
    """AES-256-GCM keys by id: the first seals, any of them opens. A sealed value is `kid.nonce.ciphertext`,
    bound to where it is stored (table, row and column as associated data), so it cannot be moved elsewhere."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise StoreError(f"Set {settings.TEAM_KEYS}: at least one key, as `id:base64` (32 bytes).")
        self.keys = dict(keys)
        self.current = keys[0][0]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """`id:base64url, id:base64url, ...`, newest first."""
        keys: list[tuple[str, bytes]] = []
        for item in [part.strip() for part in text.split(",") if part.strip()]:
            kid, _, encoded = item.partition(":")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError):
                key = b""
            if not kid or "." in kid or len(key) != 32:
                raise StoreError(
                    f"{settings.TEAM_KEYS} holds a malformed key ({kid or 'no id'}): use `id:base64` of 32 bytes."
                )
            keys.append((kid, key))
        return cls(keys)

    def seal(self, value: str, where: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, value.encode(), where.encode())
        return ".".join([self.current, _b64(nonce), _b64(sealed)])

    def open(self, sealed: str, where: str) -> str:
        kid, _, rest = sealed.partition(".")
        nonce, _, body = rest.partition(".")
        key = self.keys.get(kid)
        if key is None:
            raise StoreError(f"A stored value was sealed with key {kid!r}, which {settings.TEAM_KEYS} no longer holds.")
        try:
            return AESGCM(key).decrypt(_unb64(nonce), _unb64(body), where.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise StoreError(f"A stored value does not open with key {kid!r}: it was changed or moved.") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh key for the ring, as the setting spells it."""
    return f"k{int(time.time())}:{_b64(os.urandom(32))}"


# -- the store ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """A user's upstream pair as the store holds it."""

    access_token: str
    refresh_token: str
    expires_at: float


Refresher = Callable[[str], "dict[str, Any] | None"]
"""Calls the API's token endpoint with a refresh token: the token response, or None when it refused the token
(any other failure raises, and changes nothing)."""


def engine_for(url: str) -> sa.Engine:
    """An engine for the database URL: SQLite with its write lock taken at BEGIN, or PostgreSQL through psycopg."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": LOCK_WAIT_SECONDS, "check_same_thread": False}, hide_parameters=True
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(connection: Any, _record: Any) -> None:
            connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's own
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=30000")

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection: sa.Connection) -> None:
            # A write takes the lock at once (one writer at a time, across processes); reads do not wait for it.
            immediate = connection.get_execution_options().get("team_write")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def private_sqlite_file(url: str, default_folder: Path) -> None:
    """Before SQLite opens the database: its folder made private (0700: created so, and ours when it is the
    default one) and the file created readable by this user only (0600; SQLite gives its journal files the same)."""
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser().absolute()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.parent == default_folder.absolute():
            os.chmod(path.parent, 0o700)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(descriptor)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(f"The team database file cannot be prepared ({exc.strerror}); check its folder.") from None


class TeamStore:
    """Every piece of team mode's state, shared by all replicas that use the same database and key ring."""

    def __init__(self, engine: sa.Engine, ring: KeyRing, grace: float = GRACE_SECONDS) -> None:
        self.engine = engine
        self.ring = ring
        self.grace = grace
        self._local_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def from_settings(cls) -> TeamStore:
        url = settings.value(settings.TEAM_DATABASE_URL) or f"sqlite:///{settings.config_dir() / 'team.db'}"
        if url.startswith("sqlite:"):
            private_sqlite_file(url, default_folder=settings.config_dir())
        grace = settings.number(settings.TEAM_REFRESH_GRACE, GRACE_SECONDS, 0)
        store = cls(engine_for(url), KeyRing.parse(settings.value(settings.TEAM_KEYS)), grace)
        store.create()
        return store

    def create(self) -> None:
        """The tables, and the columns later versions added to tables an older version made."""
        metadata.create_all(self.engine)
        with self._write() as conn:  # one process at a time on SQLite; IF NOT EXISTS between PostgreSQL replicas
            inspector = sa.inspect(conn)
            guard = "IF NOT EXISTS " if conn.dialect.name == "postgresql" else ""
            for table in metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present and column.nullable:
                        kind = column.type.compile(dialect=conn.dialect)
                        conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN {guard}"{column.name}" {kind}')
            self._hash_clear_secrets(conn)

    def _hash_clear_secrets(self, conn: sa.Connection) -> None:
        """Clients an older version stored with their secret in clear: keep its hash instead."""
        query = sa.select(clients.c.client_id, clients.c.info).where(clients.c.secret_hash.is_(None))
        for row in conn.execute(query).all():
            info = json.loads(row.info)
            secret = info.pop("client_secret", None)
            if secret:
                update = sa.update(clients).where(clients.c.client_id == row.client_id)
                conn.execute(update.values(info=json.dumps(info), secret_hash=token_hash(str(secret))))

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A transaction that writes: committed at the end, rolled back on an error."""
        with self.engine.connect() as conn:
            conn.execution_options(team_write=True)
            with conn.begin():
                yield conn

    # -- clients: capped, expiring, secrets hashed ----------------------------------------------------------

    def save_client(self, client_id: str, info: dict[str, Any], kind: str = "registered") -> bool:
        """Keep a client (its secret, if any, as a hash only). False, keeping nothing, when `MAX_CLIENTS` of its
        kind are kept and none may make room (see `MAX_CLIENTS`)."""
        info = dict(info)
        secret = info.pop("client_secret", None)
        lifetime = FETCHED_CLIENT_SECONDS if kind == "fetched" else UNUSED_CLIENT_SECONDS
        now = time.time()
        values = {
            "info": json.dumps(info), "created_at": now, "kind": kind, "expires_at": now + lifetime,
            "secret_hash": token_hash(str(secret)) if secret else None,
        }  # fmt: skip
        with self._write() as conn:
            conn.execute(sa.delete(clients).where(clients.c.client_id == client_id))
            conn.execute(sa.delete(clients).where(clients.c.expires_at < now))
            same_kind = sa.func.coalesce(clients.c.kind, "registered") == kind
            count = conn.execute(sa.select(sa.func.count()).select_from(clients).where(same_kind)).scalar_one()
            if count >= MAX_CLIENTS and not self._made_room(conn, kind, now):
                return False
            conn.execute(sa.insert(clients).values(client_id=client_id, **values))
        return True

    def _made_room(self, conn: sa.Connection, kind: str, now: float) -> bool:
        """Forget the oldest client that may go: any fetched one (fetched again when needed), or a registered one
        that never signed anybody in. Whether one went."""
        candidates = sa.select(clients.c.client_id).where(sa.func.coalesce(clients.c.kind, "registered") == kind)
        if kind != "fetched":
            candidates = candidates.where(clients.c.expires_at <= now + UNUSED_CLIENT_SECONDS)
        oldest = conn.execute(candidates.order_by(clients.c.created_at).limit(1)).first()
        if oldest is None:
            return False
        conn.execute(sa.delete(clients).where(clients.c.client_id == oldest.client_id))
        return True

    def client(self, client_id: str) -> dict[str, Any] | None:
        """A kept client's metadata (never its secret), with `_fetched_at` for a fetched one; None once expired."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(clients).where(clients.c.client_id == client_id)).first()
        if row is None or (row.expires_at is not None and row.expires_at < time.time()):
            return None
        info = dict(json.loads(row.info))
        if row.kind == "fetched":
            info["_fetched_at"] = row.created_at
        return info

    def client_secret_hash(self, client_id: str) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(clients.c.secret_hash).where(clients.c.client_id == client_id)).first()
        return None if found is None else found.secret_hash

    def touch_client(self, client_id: str) -> None:
        """A registered client that signed somebody in (or refreshed) lives on: its expiry moves forward (written
        at most once a day)."""
        now = time.time()
        due = sa.and_(
            clients.c.client_id == client_id,
            sa.func.coalesce(clients.c.kind, "registered") == "registered",
            sa.func.coalesce(clients.c.expires_at, 0) < now + CLIENT_LIFETIME_SECONDS - 24 * 3600,
        )
        with self._write() as conn:
            conn.execute(sa.update(clients).where(due).values(expires_at=now + CLIENT_LIFETIME_SECONDS))

    # -- single-use records: transactions and codes -------------------------------------------------------

    def put_transaction(self, state: str, client_id: str, data: dict[str, Any], lifetime: float) -> None:
        values = {"client_id": client_id, "data": json.dumps(data), "expires_at": time.time() + lifetime}
        with self._write() as conn:
            conn.execute(sa.insert(transactions).values(state_hash=token_hash(state), **values))

    def peek_transaction(self, state: str) -> dict[str, Any] | None:
        """A live, unused transaction's data, without using it (the consent page shows it)."""
        query = sa.select(transactions).where(
            transactions.c.state_hash == token_hash(state),
            transactions.c.consumed_at.is_(None),
            transactions.c.expires_at > time.time(),
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else {**json.loads(row.data), "client_id": row.client_id}

    def take_transaction(self, state: str) -> dict[str, Any] | None:
        """The transaction's data, once: a second take, or one after expiry, gets None."""
        return self._take(transactions, transactions.c.state_hash, state)

    def put_code(self, code: str, client_id: str, subject: str, data: dict[str, Any], lifetime: float) -> None:
        values = {"client_id": client_id, "subject": subject, "data": json.dumps(data)}
        with self._write() as conn:
            conn.execute(
                sa.insert(codes).values(code_hash=token_hash(code), expires_at=time.time() + lifetime, **values)
            )

    def peek_code(self, code: str) -> dict[str, Any] | None:
        """The code's record if it is live and unused, without using it."""
        now = time.time()
        query = sa.select(codes).where(
            codes.c.code_hash == token_hash(code), codes.c.consumed_at.is_(None), codes.c.expires_at > now
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return {"client_id": row.client_id, "subject": row.subject, **json.loads(row.data)}

    def redeem_code(self, code: str, scopes: list[str], resource: str | None) -> IssuedPair | None:
        """Exchange a live code, once, for a new grant (the code remembers which). None when it was used or
        expired."""
        with self._write() as conn:
            record = self._take_in(conn, codes, codes.c.code_hash, code)
            if record is None:
                return None
            issued = self._issue_in(conn, record["client_id"], record["subject"], scopes, resource)
            linked = sa.update(codes).where(codes.c.code_hash == token_hash(code))
            conn.execute(linked.values(grant_id=issued.grant.grant_id))
        return issued

    def replayed_code(self, code: str) -> bool:
        """A code presented again after it was exchanged: the grant issued from it is revoked, since one of
        the two who presented it is not who it was meant for (RFC 6749, 4.1.2). Whether it was such a replay."""
        query = sa.select(codes.c.grant_id).where(codes.c.code_hash == token_hash(code), codes.c.grant_id.is_not(None))
        with self._write() as conn:
            row = conn.execute(query).first()
            if row is None:
                return False
            _end_grant(conn, row.grant_id)
        return True

    def take_code(self, code: str) -> dict[str, Any] | None:
        return self._take(codes, codes.c.code_hash, code)

    def _take(self, table: sa.Table, key: sa.Column[Any], secret: str) -> dict[str, Any] | None:
        with self._write() as conn:
            return self._take_in(conn, table, key, secret)

    def _take_in(self, conn: sa.Connection, table: sa.Table, key: sa.Column[Any], secret: str) -> dict[str, Any] | None:
        now = time.time()
        taken = conn.execute(
            sa.update(table)
            .where(key == token_hash(secret), table.c.consumed_at.is_(None), table.c.expires_at > now)
            .values(consumed_at=now)
        )
        if taken.rowcount != 1:
            return None
        row = conn.execute(sa.select(table).where(key == token_hash(secret))).one()
        record = dict(json.loads(row.data))
        record["client_id"] = row.client_id
        if "subject" in row._fields:
            record["subject"] = row.subject
        return record

    # -- upstream pairs -----------------------------------------------------------------------------------

    def _where(self, subject: str, column: str) -> str:
        return f"team_upstream:{subject}:{column}"

    def _sealed_pair(self, subject: str, pair: dict[str, Any]) -> dict[str, Any]:
        return {
            "access_token": self.ring.seal(str(pair["access_token"]), self._where(subject, "access_token")),
            "refresh_token": self.ring.seal(
                str(pair.get("refresh_token") or ""), self._where(subject, "refresh_token")
            ),
            "expires_at": _expiry(pair),
            "needs_sign_in": False,
            "updated_at": time.time(),
        }

    def keep_upstream(self, subject: str, pair: dict[str, Any]) -> None:
        """A new sign-in's pair: it replaces whatever the user had. Two first sign-ins of one user at once
        (two browsers, two replicas) both succeed: the later one's pair is kept."""
        for _ in range(2):
            try:
                with self._write() as conn:
                    found = conn.execute(sa.select(upstream.c.version).where(upstream.c.subject == subject)).first()
                    values = self._sealed_pair(subject, pair)
                    if found is None:
                        conn.execute(sa.insert(upstream).values(subject=subject, version=1, **values))
                    else:
                        update = sa.update(upstream).where(upstream.c.subject == subject)
                        conn.execute(update.values(**values, version=found.version + 1))
                return
            except sa.exc.IntegrityError:
                continue  # the other sign-in inserted the row first: update it
        raise StoreError("The sign-in could not be stored; try again.")

    def upstream_for(self, subject: str) -> Upstream | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(upstream).where(upstream.c.subject == subject)).first()
        if row is None or row.needs_sign_in:
            return None
        return self._opened(subject, row)

    def _opened(self, subject: str, row: Any) -> Upstream:
        access = self.ring.open(row.access_token, self._where(subject, "access_token"))
        refresh = self.ring.open(row.refresh_token, self._where(subject, "refresh_token"))
        return Upstream(access, refresh, float(row.expires_at))

    @contextmanager
    def _one_refresher(self, subject: str) -> Iterator[None]:
        """Within this process, one thread at a time per user reaches the database lock; the rest wait here."""
        with self._locks_guard:
            lock = self._local_locks.setdefault(subject, threading.Lock())
        if not lock.acquire(timeout=LOCK_WAIT_SECONDS):
            raise StoreError("Another refresh of this user's token is taking too long; try again shortly.")
        try:
            yield
        finally:
            lock.release()

    def fresh_access_token(self, subject: str, refresher: Refresher, rejected: str | None = None) -> str:
        """A usable upstream access token for the user, refreshing it when it is (nearly) expired, or when the API
        just refused `rejected` and the store still holds that token; another process's refresh is waited for
        and used. Raises SignInNeeded when only a new sign-in can help."""
        current = self.upstream_for(subject)
        if current is None:
            raise SignInNeeded(subject)
        if _usable(current, rejected):
            return current.access_token
        with self._one_refresher(subject):
            if self.engine.dialect.name == "postgresql":
                outcome = self._refresh_locked(subject, refresher, rejected)
            else:
                outcome = self._refresh_leased(subject, refresher, rejected)
        if outcome is None:
            raise SignInNeeded(subject)
        return outcome

    def _refresh_leased(self, subject: str, refresher: Refresher, rejected: str | None) -> str | None:
        """SQLite: take the user's lease in one short transaction, call the API with no lock held, then store the
        new pair in another. A process that finds the lease taken waits for the pair it brings."""
        owner = secrets.token_hex(8)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            claimed = self._claim_lease(subject, owner, rejected)
            if not isinstance(claimed, bool):
                return claimed  # None (sign in again) or a token another process just stored
            if claimed:
                break
            if time.monotonic() > deadline:
                raise StoreError("Another refresh of this user's token is taking too long; try again shortly.")
            time.sleep(LEASE_POLL_SECONDS)
        current = self.upstream_for(subject)
        version = self._version(subject)
        try:
            pair = refresher(current.refresh_token) if current is not None and current.refresh_token else None
        except BaseException:
            self._release_lease(subject, owner)
            raise
        return self._store_refreshed(subject, owner, pair, current, version)

    def _version(self, subject: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(upstream.c.version).where(upstream.c.subject == subject)).first()
        return 0 if found is None else int(found.version)

    def _claim_lease(self, subject: str, owner: str, rejected: str | None) -> bool | str | None:
        """True: this caller holds the lease now; False: another does; a str: a usable token is already stored;
        None: the user must sign in again."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute(sa.select(upstream).where(upstream.c.subject == subject)).first()
            if row is None or row.needs_sign_in:
                return None
            current = self._opened(subject, row)
            if _usable(current, rejected):
                return current.access_token
            if row.lease_until is not None and row.lease_until > now:
                return False
            lease = {"lease_until": now + LEASE_SECONDS, "lease_owner": owner}
            conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(**lease))
        return True

    def _release_lease(self, subject: str, owner: str) -> None:
        mine = sa.and_(upstream.c.subject == subject, upstream.c.lease_owner == owner)
        with self._write() as conn:
            conn.execute(sa.update(upstream).where(mine).values(lease_until=None, lease_owner=None))

    def _store_refreshed(
        self, subject: str, owner: str, pair: dict[str, Any] | None, current: Upstream | None, version: int
    ) -> str | None:
        """Keep a refresh's outcome. A new pair is always kept (it is the one valid pair now). A refusal ends the
        user's sign-in only if nobody stored a newer pair meanwhile and this caller still holds the lease (one
        whose lease ran out while the API was slow must not sign out a user another process just refreshed)."""
        with self._write() as conn:
            row = conn.execute(sa.select(upstream).where(upstream.c.subject == subject)).first()
            if row is None or current is None:
                return None
            cleared = {"lease_until": None, "lease_owner": None}
            if pair is None and (row.version != version or row.lease_owner != owner):
                newer = self._opened(subject, row)
                if row.version != version and not row.needs_sign_in and _usable(newer, current.access_token):
                    return newer.access_token
                raise StoreError("Another refresh of this user's token is under way; try again shortly.")
            if pair is None:
                values = {"needs_sign_in": True, **cleared}
                conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(**values))
                self._revoke_subject(conn, subject)  # a new sign-in starts new grants; these stay dead
                return None
            pair = {**pair, "refresh_token": pair.get("refresh_token") or current.refresh_token}
            values = {**self._sealed_pair(subject, pair), "version": row.version + 1, **cleared}
            conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(**values))
        return str(pair["access_token"])  # committed before anyone uses it

    def _refresh_locked(self, subject: str, refresher: Refresher, rejected: str | None) -> str | None:
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'")
            query = sa.select(upstream).where(upstream.c.subject == subject).with_for_update()
            row = conn.execute(query).first()
            if row is None or row.needs_sign_in:
                return None
            current = self._opened(subject, row)
            if _usable(current, rejected):  # another process refreshed while we waited
                return current.access_token
            pair = refresher(current.refresh_token) if current.refresh_token else None  # under the lock
            if pair is None:
                conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(needs_sign_in=True))
                self._revoke_subject(conn, subject)  # a new sign-in starts new grants; these stay dead
                return None
            # An answer may leave out the refresh token (RFC 6749, 6): the one we hold stays valid then.
            pair = {**pair, "refresh_token": pair.get("refresh_token") or current.refresh_token}
            values = {**self._sealed_pair(subject, pair), "version": row.version + 1}
            conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(**values))
        return str(pair["access_token"])  # committed before anyone uses it

    def needs_sign_in(self, subject: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(upstream.c.needs_sign_in).where(upstream.c.subject == subject)).first()
        return row is None or bool(row.needs_sign_in)

    # -- grants and the tokens the deployment issues ------------------------------------------------------

    def issue_grant(self, client_id: str, subject: str, scopes: list[str], resource: str | None) -> IssuedPair:
        """A new grant with its first access and refresh tokens (stored as hashes only)."""
        with self._write() as conn:
            return self._issue_in(conn, client_id, subject, scopes, resource)

    def _issue_in(
        self, conn: sa.Connection, client_id: str, subject: str, scopes: list[str], resource: str | None
    ) -> IssuedPair:
        grant_id = secrets.token_hex(16)
        values = {"client_id": client_id, "subject": subject, "scopes": json.dumps(scopes), "resource": resource}
        older = sa.and_(grants.c.subject == subject, grants.c.client_id == client_id, grants.c.revoked_at.is_(None))
        conn.execute(sa.update(grants).where(older).values(revoked_at=time.time()))  # a new sign-in replaces it
        conn.execute(sa.insert(grants).values(grant_id=grant_id, created_at=time.time(), **values))
        pair = self._new_tokens(conn, grant_id)
        grant = Grant(grant_id, client_id, subject, tuple(scopes), resource, time.time() + ACCESS_LIFETIME_SECONDS)
        return IssuedPair(pair[0], pair[1], ACCESS_LIFETIME_SECONDS, grant)

    def _new_tokens(self, conn: sa.Connection, grant_id: str) -> tuple[str, str]:
        access, refresh, now = new_token(), new_token(), time.time()
        conn.execute(
            sa.insert(tokens),
            [
                {"token_hash": token_hash(access), "kind": "access", "grant_id": grant_id,
                 "expires_at": now + ACCESS_LIFETIME_SECONDS},
                {"token_hash": token_hash(refresh), "kind": "refresh", "grant_id": grant_id,
                 "expires_at": now + REFRESH_LIFETIME_SECONDS},
            ],
        )  # fmt: skip
        return access, refresh

    def _grant_of(self, conn: sa.Connection, token: str, kind: str) -> tuple[Grant, Any] | None:
        query = (
            sa.select(tokens, grants.c.client_id, grants.c.subject, grants.c.scopes, grants.c.resource)
            .join(grants, grants.c.grant_id == tokens.c.grant_id)
            .where(tokens.c.token_hash == token_hash(token), tokens.c.kind == kind, grants.c.revoked_at.is_(None))
        )
        row = conn.execute(query).first()
        if row is None or row.expires_at <= time.time():
            return None
        grant = Grant(
            row.grant_id, row.client_id, row.subject, tuple(json.loads(row.scopes)), row.resource, row.expires_at
        )
        return grant, row

    def access_grant(self, token: str) -> Grant | None:
        """The grant behind a live access token; None once it expired, its grant was revoked, or the user must
        sign in again upstream (so the client is asked to start over)."""
        with self.engine.connect() as conn:
            found = self._grant_of(conn, token, "access")
            if found is None:
                return None
            query = sa.select(upstream.c.needs_sign_in).where(upstream.c.subject == found[0].subject)
            pending = conn.execute(query).first()
        return None if pending is None or pending.needs_sign_in else found[0]

    def refresh_grant(self, token: str) -> Grant | None:
        """The grant behind a refresh token that may still be exchanged: unused, or rotated within the grace
        window. A rotated token presented after the window revokes its grant (it was copied)."""
        with self._write() as conn:
            found = self._grant_of(conn, token, "refresh")
            if found is None:
                return None
            grant, row = found
            if row.rotated_at is not None and row.rotated_at < time.time() - self.grace:
                _end_grant(conn, grant.grant_id)
                return None
        return None if self.needs_sign_in(grant.subject) else grant

    def rotate(self, refresh_token: str) -> IssuedPair | None:
        """Exchange a refresh token for a new pair. Within the grace window the same token yields the same
        pair, however many times and from however many replicas it is presented."""
        key = token_hash(refresh_token)
        with self._write() as conn:
            query = sa.select(tokens).where(tokens.c.token_hash == key, tokens.c.kind == "refresh").with_for_update()
            if conn.execute(query).first() is None:
                return None
            found = self._grant_of(conn, refresh_token, "refresh")
            if found is None:
                return None
            grant, row = found
            where = f"team_tokens:{key}:successor"
            if row.rotated_at is not None:
                if row.rotated_at < time.time() - self.grace or row.successor is None:
                    _end_grant(conn, grant.grant_id)
                    return None
                access, refresh = json.loads(self.ring.open(row.successor, where))
                successor = sa.select(tokens.c.rotated_at).where(tokens.c.token_hash == token_hash(refresh))
                if conn.execute(successor).scalar_one_or_none() is not None:  # the new pair moved on: a copy
                    _end_grant(conn, grant.grant_id)
                    return None
            else:
                access, refresh = self._new_tokens(conn, grant.grant_id)
                sealed = self.ring.seal(json.dumps([access, refresh]), where)
                conn.execute(
                    sa.update(tokens).where(tokens.c.token_hash == key).values(rotated_at=time.time(), successor=sealed)
                )
        return IssuedPair(access, refresh, ACCESS_LIFETIME_SECONDS, grant)

    def revoke(self, token: str) -> str | None:
        """Revoke the grant behind an access or refresh token (both stop working); the grant's subject."""
        query = (
            sa.select(tokens.c.grant_id, grants.c.subject)
            .join(grants, grants.c.grant_id == tokens.c.grant_id)
            .where(tokens.c.token_hash == token_hash(token))
        )
        with self._write() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            _end_grant(conn, row.grant_id)
        return str(row.subject)

    def forget_upstream(self, subject: str) -> Upstream | None:
        """The user's pair, taken out of use (they must sign in again): for revoking it at the API."""
        with self._write() as conn:
            row = conn.execute(sa.select(upstream).where(upstream.c.subject == subject).with_for_update()).first()
            if row is None or row.needs_sign_in:
                return None
            conn.execute(sa.update(upstream).where(upstream.c.subject == subject).values(needs_sign_in=True))
            self._revoke_subject(conn, subject)
        return self._opened(subject, row)

    def _revoke_subject(self, conn: sa.Connection, subject: str) -> None:
        live = sa.and_(grants.c.subject == subject, grants.c.revoked_at.is_(None))
        conn.execute(sa.update(grants).where(live).values(revoked_at=time.time()))

    def record_consent(self, subject: str, client_id: str) -> None:
        """That this user approved this client (the latest approval's time)."""
        with self._write() as conn:
            conn.execute(sa.delete(consents).where(consents.c.subject == subject, consents.c.client_id == client_id))
            conn.execute(sa.insert(consents).values(subject=subject, client_id=client_id, granted_at=time.time()))

    def consented(self, subject: str) -> list[str]:
        query = sa.select(consents.c.client_id).where(consents.c.subject == subject).order_by(consents.c.client_id)
        with self.engine.connect() as conn:
            return [str(row.client_id) for row in conn.execute(query)]

    def live_grants(self, subject: str) -> int:
        """Grants of the user that a client can still use: not revoked, with an unexpired refresh token."""
        usable = sa.select(tokens.c.grant_id).where(
            tokens.c.kind == "refresh", tokens.c.expires_at > time.time(), tokens.c.rotated_at.is_(None)
        )
        live = sa.and_(grants.c.subject == subject, grants.c.revoked_at.is_(None), grants.c.grant_id.in_(usable))
        query = sa.select(sa.func.count()).select_from(grants).where(live)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # -- housekeeping -------------------------------------------------------------------------------------

    def clean_up(self, now: float | None = None) -> int:
        """Delete expired transactions, codes and tokens (any replica may run it, any number of times)."""
        now = time.time() if now is None else now
        removed = 0
        with self._write() as conn:
            for table in (transactions, codes, tokens, clients):
                removed += conn.execute(sa.delete(table).where(table.c.expires_at < now)).rowcount
            past_grace = sa.and_(tokens.c.rotated_at < now - self.grace, tokens.c.successor.is_not(None))
            conn.execute(sa.update(tokens).where(past_grace).values(successor=None))  # only the hash stays
        return removed


def _end_grant(conn: sa.Connection, grant_id: str) -> None:
    """Revoke one grant: every token it issued stops working."""
    conn.execute(sa.update(grants).where(grants.c.grant_id == grant_id).values(revoked_at=time.time()))


def _usable(pair: Upstream, rejected: str | None) -> bool:
    if rejected is not None:
        return pair.access_token != rejected
    return pair.expires_at > time.time() + EXPIRY_MARGIN_SECONDS


def _expiry(pair: dict[str, Any]) -> float:
    """From the time the pair arrived (not the API's `created_at`: clocks differ), `expires_in` later."""
    lifetime = pair.get("expires_in")
    return time.time() + (float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0)

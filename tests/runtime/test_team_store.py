"""team_store: the key ring, single-use records, sealed upstream pairs and the cross-process refresh, on SQLite and
on a real PostgreSQL server, against the fake Procore's single-use refresh tokens."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.runtime.conftest import Runtime
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore, running_fake_procore

RING = "k2:" + "B" * 43 + ",k1:" + "A" * 43  # two 32-byte keys, newest first


@pytest.fixture
def team_store(runtime: Runtime) -> ModuleType:
    return runtime.module("team_store")


@pytest.fixture
def store(team_store: ModuleType, database_url: str) -> Iterator[Any]:
    made = team_store.TeamStore(team_store.engine_for(database_url), team_store.KeyRing.parse(RING))
    made.create()
    yield made
    made.engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeProcore]:
    with running_fake_procore() as running:
        yield running


def refresher(fake: FakeProcore) -> Callable[[str], dict[str, Any] | None]:
    def refresh(token: str) -> dict[str, Any] | None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        response = httpx.post(f"{fake.url}/oauth/token", json=form, timeout=30)
        if response.status_code == 400:
            return None
        response.raise_for_status()
        pair: dict[str, Any] = response.json()
        return pair

    return refresh


# -- the key ring ------------------------------------------------------------------------------------------


def test_sealed_values_open_only_where_they_were_stored_and_keys_rotate(team_store: ModuleType) -> None:
    old = team_store.KeyRing.parse("k1:" + "A" * 43)
    sealed = old.seal("secret-token", "team_upstream:alice:access_token")
    assert "secret-token" not in sealed and sealed.startswith("k1.")
    assert old.open(sealed, "team_upstream:alice:access_token") == "secret-token"
    with pytest.raises(team_store.StoreError, match="changed or moved"):
        old.open(sealed, "team_upstream:bob:access_token")
    rotated = team_store.KeyRing.parse(RING)
    assert rotated.open(sealed, "team_upstream:alice:access_token") == "secret-token"  # old keys still open
    assert rotated.seal("x", "w").startswith("k2.")  # the newest seals
    with pytest.raises(team_store.StoreError, match="no longer holds"):
        team_store.KeyRing.parse("k3:" + "C" * 43).open(sealed, "team_upstream:alice:access_token")


@pytest.mark.parametrize("setting", ["", "k1:short", "nokey", "k.1:" + "A" * 43])
def test_a_missing_or_malformed_key_ring_is_named(team_store: ModuleType, setting: str) -> None:
    with pytest.raises(team_store.StoreError, match="WIDGETS_TEAM_KEYS"):
        team_store.KeyRing.parse(setting)


def test_a_new_key_parses(team_store: ModuleType) -> None:
    ring = team_store.KeyRing.parse(team_store.new_key())
    assert ring.open(ring.seal("v", "w"), "w") == "v"


# -- records -----------------------------------------------------------------------------------------------


def test_a_code_is_taken_once_even_by_racing_callers(store: Any) -> None:
    store.put_code("code-1", "client-a", "procore:alice", {"scopes": []}, lifetime=60)
    assert store.peek_code("code-1")["subject"] == "procore:alice"
    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _: store.take_code("code-1"), range(8)))
    winners = [record for record in taken if record is not None]
    assert len(winners) == 1 and winners[0] == {"scopes": [], "client_id": "client-a", "subject": "procore:alice"}
    assert store.peek_code("code-1") is None and store.take_code("code-1") is None


def test_expired_records_are_refused_and_cleaned_up(store: Any) -> None:
    store.put_transaction("state-1", "client-a", {"redirect_uri": "http://127.0.0.1/cb"}, lifetime=-1)
    store.put_code("code-2", "client-a", "procore:alice", {}, lifetime=-1)
    assert store.take_transaction("state-1") is None and store.take_code("code-2") is None
    store.put_transaction("state-2", "client-a", {"redirect_uri": "http://127.0.0.1/cb"}, lifetime=60)
    assert store.clean_up() == 2
    assert store.take_transaction("state-2") == {"redirect_uri": "http://127.0.0.1/cb", "client_id": "client-a"}


def test_clients_are_kept_with_their_secret_hashed(store: Any, team_store: ModuleType) -> None:
    assert store.client("client-a") is None
    store.save_client("client-a", {"redirect_uris": ["http://127.0.0.1/cb"]})
    assert store.save_client("client-a", {"redirect_uris": ["http://127.0.0.1/cb2"], "client_secret": "s3cret-value"})
    assert store.client("client-a") == {"redirect_uris": ["http://127.0.0.1/cb2"]}  # never the secret
    assert store.client_secret_hash("client-a") == team_store.token_hash("s3cret-value")
    with store.engine.connect() as conn:
        assert "s3cret-value" not in str(conn.execute(sa.text("SELECT * FROM team_clients")).all())


def test_clients_are_capped_and_unused_ones_make_room(store: Any, team_store: ModuleType, monkeypatch: Any) -> None:
    monkeypatch.setattr(team_store, "MAX_CLIENTS", 2)
    assert store.save_client("r1", {}) and store.save_client("r2", {})
    assert store.save_client("r3", {})  # full: the oldest that never signed anybody in (r1) made room
    assert store.client("r1") is None and store.client("r2") == {} and store.client("r3") == {}
    store.touch_client("r2")
    store.touch_client("r3")  # both signed somebody in: they stay, for 90 days from their last use
    assert store.save_client("r4", {}) is False and store.client("r4") is None  # nothing may go: refused
    with store.engine.connect() as conn:
        expiry = conn.execute(sa.text("SELECT expires_at FROM team_clients WHERE client_id = 'r2'")).scalar_one()
    assert expiry > time.time() + team_store.CLIENT_LIFETIME_SECONDS - 25 * 3600
    for n in range(3):  # fetched clients have their own room, and the oldest always makes way
        assert store.save_client(f"https://a.example/{n}.json", {}, "fetched")
    assert store.client("https://a.example/0.json") is None and store.client("https://a.example/2.json") is not None
    with store.engine.begin() as conn:  # a day on: a fetched document is fetched again
        conn.execute(sa.text("UPDATE team_clients SET expires_at = 1 WHERE client_id = 'https://a.example/2.json'"))
    assert store.client("https://a.example/2.json") is None


def test_a_code_is_redeemed_once_and_a_replay_revokes_its_grant(store: Any) -> None:
    store.keep_upstream("procore:alice", {"access_token": "up-a", "refresh_token": "up-r", "expires_in": 600})
    store.put_code("code-9", "client-a", "procore:alice", {"scopes": []}, lifetime=60)
    issued = store.redeem_code("code-9", [], "http://127.0.0.1:9/mcp")
    assert store.access_grant(issued.access_token) is not None
    assert store.redeem_code("code-9", [], "http://127.0.0.1:9/mcp") is None
    assert store.replayed_code("code-9") is True
    assert store.access_grant(issued.access_token) is None and store.refresh_grant(issued.refresh_token) is None
    assert store.replayed_code("never-issued") is False


def test_an_older_database_gains_the_new_columns_and_loses_clear_secrets(team_store: ModuleType, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # team_clients as the first team-mode release made it
        conn.execute(sa.text("CREATE TABLE team_clients (client_id VARCHAR(512) PRIMARY KEY, info TEXT NOT NULL, "
                             "created_at FLOAT NOT NULL)"))  # fmt: skip
        info = json.dumps({"redirect_uris": ["http://127.0.0.1/cb"], "client_secret": "old-clear-secret"})
        conn.execute(sa.text("INSERT INTO team_clients VALUES ('old', :info, 1)"), {"info": info})
    engine.dispose()
    store = team_store.TeamStore(team_store.engine_for(url), team_store.KeyRing.parse(RING))
    store.create()
    store.create()  # twice: nothing left to do the second time
    assert store.client("old") == {"redirect_uris": ["http://127.0.0.1/cb"]}
    assert store.client_secret_hash("old") == team_store.token_hash("old-clear-secret")
    store.engine.dispose()


def test_the_upstream_pair_is_sealed_at_rest(store: Any) -> None:
    store.keep_upstream(
        "procore:alice", {"access_token": "access-plain", "refresh_token": "refresh-plain", "expires_in": 600}
    )
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT access_token, refresh_token FROM team_upstream")).one()
    assert "plain" not in row.access_token + row.refresh_token
    assert store.upstream_for("procore:alice").refresh_token == "refresh-plain"


# -- the refresh -------------------------------------------------------------------------------------------


def _expired_user(store: Any, fake: FakeProcore) -> dict[str, Any]:
    pair = fake.state.issue()
    store.keep_upstream("procore:alice", {**pair, "expires_in": 0})
    return pair


def test_a_fresh_token_is_used_as_it_is_and_an_expired_one_refreshed(store: Any, fake: FakeProcore) -> None:
    pair = fake.state.issue()
    store.keep_upstream("procore:alice", pair)
    assert store.fresh_access_token("procore:alice", refresher(fake)) == pair["access_token"]
    assert fake.state.refreshes == 0
    _expired_user(store, fake)
    renewed = store.fresh_access_token("procore:alice", refresher(fake))
    assert renewed != pair["access_token"] and fake.state.refreshes == 1
    assert store.fresh_access_token("procore:alice", refresher(fake)) == renewed and fake.state.refreshes == 1


def test_a_rejected_token_is_refreshed_only_while_the_store_still_holds_it(store: Any, fake: FakeProcore) -> None:
    pair = fake.state.issue()
    store.keep_upstream("procore:alice", pair)
    renewed = store.fresh_access_token("procore:alice", refresher(fake), rejected=pair["access_token"])
    assert renewed != pair["access_token"] and fake.state.refreshes == 1
    # A second caller that saw the same 401: someone already refreshed, so no second refresh.
    assert store.fresh_access_token("procore:alice", refresher(fake), rejected=pair["access_token"]) == renewed
    assert fake.state.refreshes == 1


def test_only_a_refused_refresh_token_asks_for_a_new_sign_in(
    store: Any, fake: FakeProcore, team_store: ModuleType
) -> None:
    pair = _expired_user(store, fake)
    fake.state.token_endpoint_status = 503  # down: an error, and nothing changes
    with pytest.raises(httpx.HTTPStatusError):
        store.fresh_access_token("procore:alice", refresher(fake))
    assert not store.needs_sign_in("procore:alice")
    fake.state.token_endpoint_status = 0
    fake.state.refresh_tokens.discard(pair["refresh_token"])  # the API no longer accepts it
    with pytest.raises(team_store.SignInNeeded):
        store.fresh_access_token("procore:alice", refresher(fake))
    assert store.needs_sign_in("procore:alice") and store.upstream_for("procore:alice") is None
    calls = len(fake.state.requests)
    with pytest.raises(team_store.SignInNeeded):
        store.fresh_access_token("procore:alice", refresher(fake))
    assert len(fake.state.requests) == calls  # not asked again
    with pytest.raises(team_store.SignInNeeded):
        store.fresh_access_token("procore:nobody", refresher(fake))


def _refresh_in_a_process(
    team_store: ModuleType, url: str, fake: FakeProcore, start: float, results: Any, callers: int
) -> None:
    store = team_store.TeamStore(team_store.engine_for(url), team_store.KeyRing.parse(RING))
    barrier = threading.Barrier(callers)

    def one(_: int) -> str:
        barrier.wait()
        time.sleep(max(0.0, start - time.time()))
        return str(store.fresh_access_token("procore:alice", refresher(fake)))

    try:
        with ThreadPoolExecutor(callers) as pool:
            results.put(list(pool.map(one, range(callers))))
    except Exception as exc:  # reported to the test, which fails with it
        results.put([f"failed: {exc!r}"])


def test_racing_processes_spend_the_refresh_token_once(
    store: Any, fake: FakeProcore, team_store: ModuleType, database_url: str
) -> None:
    _expired_user(store, fake)
    fake.state.token_delay_seconds = 0.2
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start = time.time() + 1.0
    processes = [
        context.Process(target=_refresh_in_a_process, args=(team_store, database_url, fake, start, results, 8))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    seen = [token for _ in processes for token in results.get(timeout=90)]
    for process in processes:
        process.join(timeout=30)
    assert len(seen) == 16 and len(set(seen)) == 1, seen  # every caller got the one new token
    assert fake.state.refreshes == 1 and fake.state.refresh_reuses == 0


# -- grants and the deployment's own tokens ----------------------------------------------------------------


def _signed_in(store: Any, subject: str = "procore:alice") -> Any:
    store.keep_upstream(subject, {"access_token": "up-a", "refresh_token": "up-r", "expires_in": 600})
    return store.issue_grant("client-a", subject, ["read"], "http://127.0.0.1:9/mcp")


def test_an_issued_token_stands_for_its_grant_until_revoked(store: Any) -> None:
    issued = _signed_in(store)
    grant = store.access_grant(issued.access_token)
    assert (grant.client_id, grant.subject, grant.scopes, grant.resource) == (
        "client-a", "procore:alice", ("read",), "http://127.0.0.1:9/mcp",
    )  # fmt: skip
    assert store.access_grant(issued.refresh_token) is None  # a refresh token is not an access token
    assert store.access_grant("made-up") is None
    with store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM team_tokens")) for v in row)
    assert issued.access_token not in stored and issued.refresh_token not in stored  # hashes only
    store.revoke(issued.refresh_token)
    assert store.access_grant(issued.access_token) is None and store.live_grants("procore:alice") == 0


def test_tokens_stop_working_when_the_user_must_sign_in_again_upstream(store: Any, fake: FakeProcore) -> None:
    issued = _signed_in(store)
    store.keep_upstream("procore:alice", {**fake.state.issue(), "expires_in": 0})
    fake.state.refresh_tokens.clear()
    with pytest.raises(Exception, match="procore:alice"):
        store.fresh_access_token("procore:alice", refresher(fake))
    assert store.access_grant(issued.access_token) is None and store.refresh_grant(issued.refresh_token) is None


def test_a_refresh_token_rotates_and_a_replay_within_the_grace_window_gets_the_same_pair(
    store: Any, team_store: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = _signed_in(store)
    with ThreadPoolExecutor(8) as pool:  # a client retrying from several places at once
        rotated = list(pool.map(lambda _: store.rotate(issued.refresh_token), range(8)))
    pairs = {(pair.access_token, pair.refresh_token) for pair in rotated}
    assert len(pairs) == 1 and issued.access_token not in pairs.pop()
    new = rotated[0]
    assert store.access_grant(new.access_token).subject == "procore:alice"
    assert store.refresh_grant(issued.refresh_token) is not None  # still within the window
    monkeypatch.setattr(store, "grace", -1.0)  # the window has passed
    assert store.rotate(issued.refresh_token) is None  # a copied token: the whole grant goes
    assert store.access_grant(new.access_token) is None and store.rotate(new.refresh_token) is None
    assert store.live_grants("procore:alice") == 0


def test_a_replay_after_the_window_is_refused_at_the_first_look(
    store: Any, team_store: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = _signed_in(store)
    new = store.rotate(issued.refresh_token)
    monkeypatch.setattr(store, "grace", -1.0)
    assert store.refresh_grant(issued.refresh_token) is None
    assert store.access_grant(new.access_token) is None
    store.clean_up()
    with store.engine.connect() as conn:
        successors = conn.execute(sa.text("SELECT successor FROM team_tokens WHERE successor IS NOT NULL")).all()
    assert successors == []  # past the window only the hash is kept


def test_consents_are_recorded_and_a_forgotten_pair_needs_a_new_sign_in(store: Any) -> None:
    issued = _signed_in(store)
    store.record_consent("procore:alice", "client-b")
    store.record_consent("procore:alice", "client-a")
    store.record_consent("procore:alice", "client-a")
    assert store.consented("procore:alice") == ["client-a", "client-b"]
    assert store.revoke(issued.access_token) == "procore:alice" and store.revoke("made-up") is None
    pair = store.forget_upstream("procore:alice")
    assert pair.refresh_token == "up-r" and store.needs_sign_in("procore:alice")
    assert store.forget_upstream("procore:alice") is None


def test_a_new_sign_in_replaces_the_clients_grant_and_only_usable_grants_count(store: Any) -> None:
    first = _signed_in(store)
    second = store.issue_grant("client-a", "procore:alice", ["read"], "http://127.0.0.1:9/mcp")
    assert store.access_grant(first.access_token) is None and store.access_grant(second.access_token) is not None
    assert store.live_grants("procore:alice") == 1
    with store.engine.begin() as conn:  # the refresh token ran out: the grant is of no use to anyone
        conn.execute(sa.text("UPDATE team_tokens SET expires_at = 0 WHERE kind = 'refresh'"))
    assert store.live_grants("procore:alice") == 0


def test_a_replay_of_a_token_whose_successor_moved_on_ends_the_grant(store: Any) -> None:
    issued = _signed_in(store)
    second = store.rotate(issued.refresh_token)
    third = store.rotate(second.refresh_token)
    assert third is not None and store.access_grant(third.access_token) is not None
    assert store.rotate(issued.refresh_token) is None  # within the window, but its successor was used: a copy
    assert store.access_grant(third.access_token) is None


def test_a_refresh_answer_without_a_refresh_token_keeps_the_one_held(store: Any) -> None:
    store.keep_upstream("procore:alice", {"access_token": "a1", "refresh_token": "r1", "expires_in": 0})
    token = store.fresh_access_token("procore:alice", lambda refresh: {"access_token": "a2", "expires_in": 600})
    assert token == "a2" and store.upstream_for("procore:alice").refresh_token == "r1"


def test_grants_stay_dead_after_the_upstream_refresh_was_refused(store: Any, team_store: ModuleType) -> None:
    issued = _signed_in(store)
    store.keep_upstream("procore:alice", {"access_token": "a1", "refresh_token": "r1", "expires_in": 0})
    with pytest.raises(team_store.SignInNeeded):
        store.fresh_access_token("procore:alice", lambda refresh: None)
    store.keep_upstream("procore:alice", {"access_token": "a2", "refresh_token": "r2", "expires_in": 600})
    assert store.access_grant(issued.access_token) is None  # a new sign-in makes new grants, not these


def test_on_sqlite_a_held_write_lock_does_not_stop_token_checks(team_store: ModuleType, tmp_path: Any) -> None:
    store = team_store.TeamStore(
        team_store.engine_for(f"sqlite:///{tmp_path / 'team.db'}"), team_store.KeyRing.parse(RING)
    )
    store.create()
    issued = _signed_in(store)
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with store._write() as conn:  # any write: a sign-in, a rotation, a lease taken
            conn.execute(sa.text("UPDATE team_upstream SET version = version + 1"))
            holding.set()
            done.wait(timeout=20)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(timeout=10)
    try:
        assert store.access_grant(issued.access_token) is not None  # answered while the lock is held
        assert not done.is_set()
    finally:
        done.set()
        thread.join(timeout=10)
    store.engine.dispose()


def test_first_sign_ins_of_one_user_at_once_all_succeed(store: Any) -> None:
    pairs = [{"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 600} for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda pair: store.keep_upstream("procore:carol", pair), pairs))
    assert store.upstream_for("procore:carol").access_token in {pair["access_token"] for pair in pairs}


def test_on_sqlite_a_refresh_that_outlasts_its_lease_signs_nobody_out(
    team_store: ModuleType, tmp_path: Any, monkeypatch: Any
) -> None:
    """A's call to the API is slow; its lease runs out and B refreshes. The API then refuses A's (spent) refresh
    token: A must take B's new pair, not end the user's sign-in."""
    monkeypatch.setattr(team_store, "LEASE_SECONDS", 0.3)
    url = f"sqlite:///{tmp_path / 'team.db'}"
    first, second = (team_store.TeamStore(team_store.engine_for(url), team_store.KeyRing.parse(RING)) for _ in range(2))
    first.create()
    first.keep_upstream("procore:alice", {"access_token": "a1", "refresh_token": "r1", "expires_in": 0})
    issued = first.issue_grant("client-a", "procore:alice", [], "http://127.0.0.1:9/mcp")
    b_done, outcome = threading.Event(), {}

    def slow_refused(token: str) -> dict[str, Any] | None:
        b_done.wait(10)
        return None  # the API had already taken r1 from B

    def run_a() -> None:
        outcome["a"] = first.fresh_access_token("procore:alice", slow_refused)

    a = threading.Thread(target=run_a)
    a.start()
    time.sleep(0.6)  # A's lease has run out
    outcome["b"] = second.fresh_access_token(
        "procore:alice", lambda token: {"access_token": "a2", "refresh_token": "r2", "expires_in": 600}
    )
    b_done.set()
    a.join(timeout=20)
    assert outcome == {"a": "a2", "b": "a2"}
    assert first.access_grant(issued.access_token) is not None and not first.needs_sign_in("procore:alice")
    for store in (first, second):
        store.engine.dispose()

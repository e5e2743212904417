"""Drives python-socketio's asyncio client against the Socket.IO conformance fixture (SIO-1 §3,
SIO-2 §6) and reports one ``RESULT {json}`` line on stdout. Run by
examples/tests/socketio_clients.rs:

    .venv/bin/python tests/clients/sio_client.py '{"url": "http://127.0.0.1:3000",
        "mode": "websocket", "scenario": "acks"}'

Config: url; mode: "polling" | "websocket" | "upgrade" (polling first; python-engineio upgrades
while connecting, so the scenario runs over WebSocket); scenario (see SCENARIOS below);
timeoutMs. Every wait is bounded; a failure is reported as ``"ok": false`` with the error.
"""

import asyncio
import json
import os
import sys
import time
import traceback

import socketio

CONFIG = json.loads(sys.argv[1])
URL = CONFIG["url"]
MODE = CONFIG["mode"]
SCENARIO = CONFIG["scenario"]
DEADLINE = CONFIG.get("timeoutMs", 20000) / 1000.0
STEP = 5.0
QUIET = 0.4
STARTED = time.monotonic()
NONCE = f"{os.getpid()}-{int(time.time() * 1000)}"
EVENTS = []
CLIENTS = []

TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}[MODE]

# The events the fixture sends, recorded per namespace.
RECORDED = [
    "auth",
    "welcome",
    "message-back",
    "server-ack-response",
    "room-message",
    "msg",
    "peer-disconnected",
]


def note(event):
    EVENTS.append(f"{int((time.monotonic() - STARTED) * 1000)}ms {event}")


def report(result):
    sys.stdout.write(
        "RESULT "
        + json.dumps({"mode": MODE, "scenario": SCENARIO, "events": EVENTS, **result})
        + "\n"
    )
    sys.stdout.flush()
    os._exit(0)


def norm(value):
    """Binary values compare as ``{"$bin": [bytes]}``."""
    if isinstance(value, (bytes, bytearray)):
        return {"$bin": list(value)}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def check(actual, expected, what):
    if norm(actual) != norm(expected):
        raise AssertionError(f"{what}: got {norm(actual)!r}, expected {norm(expected)!r}")


class Client:
    """An AsyncClient that records the fixture's events from the start of the connection."""

    def __init__(self, name, namespaces=("/",)):
        self.name = name
        # `"parser": "msgpack"`: python-socketio's msgpack serializer, as the server's
        # (examples/tests/socketio_msgpack.rs).
        serializer = "msgpack" if CONFIG.get("parser") == "msgpack" else "default"
        self.sio = socketio.AsyncClient(reconnection=False, serializer=serializer)
        self.seen = []
        self.changed = asyncio.Event()
        self.disconnects = []
        self.connect_errors = []
        for ns in set(namespaces) | {"/"}:
            for event in RECORDED:
                self.sio.on(event, self._recorder(event, ns), namespace=ns)
            self.sio.on("disconnect", self._on_disconnect(ns), namespace=ns)
            self.sio.on("connect_error", self._on_connect_error(ns), namespace=ns)
        CLIENTS.append(self)

    def _recorder(self, event, ns):
        async def handler(*args):
            self.seen.append((event, ns, list(args)))
            self.changed.set()

        return handler

    def _on_disconnect(self, ns):
        async def handler(*args):
            reason = args[0] if args else None
            note(f"{self.name} {ns} disconnect {reason}")
            self.disconnects.append((ns, reason))
            self.changed.set()

        return handler

    def _on_connect_error(self, ns):
        async def handler(*args):
            note(f"{self.name} {ns} connect_error {args!r}")
            self.connect_errors.append((ns, list(args)))
            self.changed.set()

        return handler

    async def connect(self, namespaces=("/",), auth=None, query=""):
        await self.sio.connect(
            URL + query,
            auth=auth,
            transports=TRANSPORTS,
            namespaces=list(namespaces),
            wait_timeout=STEP,
        )
        want = "polling" if MODE == "polling" else "websocket"
        if self.sio.transport() != want:
            raise AssertionError(f"transport {self.sio.transport()}, expected {want}")
        note(f"{self.name} connect {self.sio.get_sid()}")
        return self

    async def wait_for(self, predicate, what, timeout=STEP):
        deadline = time.monotonic() + timeout
        while True:
            found = predicate()
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no {what} within {timeout}s; seen {self.seen!r}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def next(self, event, ns="/", match=lambda args: True, timeout=STEP):
        """The args of the next ``event`` on ``ns`` matching ``match``, removed from the record."""

        def find():
            for i, (e, n, args) in enumerate(self.seen):
                if e == event and n == ns and match(args):
                    del self.seen[i]
                    return args
            return None

        return await self.wait_for(find, f"{event} on {ns}", timeout)

    async def none(self, event, ns="/", match=lambda args: True):
        await asyncio.sleep(QUIET)
        got = [s for s in self.seen if s[0] == event and s[1] == ns and match(s[2])]
        if got:
            raise AssertionError(f"{self.name}: unexpected {got!r}")

    async def emit_and_next(self, event, data, back, ns="/"):
        await self.sio.emit(event, data, namespace=ns)
        return await self.next(back, ns)


async def connected(name, namespaces=("/",), auth=None, query=""):
    return await Client(name, namespaces).connect(namespaces, auth, query)


ECHO = (1, "2", {"3": [True]}, None, "é€😀", [1.5, -2, {"deep": {"er": []}}])


async def scenario_connect():
    plain = await connected("plain")
    check(await plain.next("auth"), [{}], "auth without payload")
    sid = plain.sio.get_sid("/")
    if not isinstance(sid, str) or len(sid) != 20:
        raise AssertionError(f"socket id {sid!r}")
    if sid == plain.sio.eio.sid:
        raise AssertionError("the socket id must differ from the Engine.IO id")
    authed = await connected("authed", auth={"token": "abc", "n": 1})
    check(await authed.next("auth"), [{"token": "abc", "n": 1}], "auth echo")
    return {"id": sid}


async def scenario_custom():
    client = await connected("custom", ["/custom"], auth={"token": "xyz"})
    check(await client.next("auth", "/custom"), [{"token": "xyz"}], "auth on /custom")
    check(
        await client.emit_and_next("message", "on custom", "message-back", "/custom"),
        ["on custom"],
        "message on /custom",
    )
    return {}


async def scenario_restricted():
    by_auth = await connected("by-auth", ["/restricted"], auth={"token": "s3cret"})
    check(await by_auth.next("welcome", "/restricted"), ["restricted"], "welcome")
    by_query = await connected("by-query", ["/restricted"], query="?token=s3cret")
    check(await by_query.next("welcome", "/restricted"), ["restricted"], "welcome via query")
    refusals = []
    for auth in (None, {"token": "wrong"}):
        client = Client("refused", ["/restricted"])
        try:
            await client.connect(["/restricted"], auth=auth)
        except socketio.exceptions.ConnectionError as exc:
            note(f"refused: {exc}")
        else:
            raise AssertionError("connected without the token")
        # The fixture's middleware sets no `data`: the payload is only the message.
        check(
            client.connect_errors,
            [("/restricted", [{"message": "not authorized"}])],
            "connect_error",
        )
        refusals.append(client.connect_errors[0][1][0])
    return {"refusals": refusals}


async def scenario_message():
    for ns in ("/", "/custom"):
        client = await connected(f"message{ns}", [ns])
        check(await client.emit_and_next("message", ECHO, "message-back", ns), ECHO, "JSON echo")
        binary = (
            b"\x01\x02\x03",
            {"nested": b"\x04\x05", "list": [b"", b"\xff"]},
            "text",
            b"\x07" * 100_000,
        )
        check(await client.emit_and_next("message", binary, "message-back", ns), binary, "binary echo")
    return {}


async def scenario_acks():
    client = await connected("acks")
    sio = client.sio
    got = asyncio.get_running_loop().create_future()
    await sio.emit(
        "message-with-ack",
        (1, "2", {"3": [False]}),
        callback=lambda *args: got.set_result(list(args)),
    )
    check(await asyncio.wait_for(got, STEP), [1, "2", {"3": [False]}], "message-with-ack")
    check(await sio.call("echo", "only", timeout=STEP), "only", "echo with one argument")
    check(await sio.call("echo", ("a", b"\x03"), timeout=STEP), ("a", b"\x03"), "echo, two arguments")
    check(await sio.call("echo", b"\x01\x02", timeout=STEP), b"\x01\x02", "binary ack")
    started = time.monotonic()
    try:
        await sio.call("unanswered", 1, timeout=0.2)
    except socketio.exceptions.TimeoutError:
        took = time.monotonic() - started
        if not 0.19 <= took < 2:
            raise AssertionError(f"timed out after {took}s")
    else:
        raise AssertionError("no handler acks `unanswered`, yet an ack came")
    # python-engineio refuses a polling payload of more than 16 packets (its
    # `Payload.max_decode_packets`), and the server may answer every ack in one payload.
    results = await asyncio.gather(*(sio.call("echo", i, timeout=STEP) for i in range(10)))
    check(results, list(range(10)), "10 acks in flight")
    return {}


async def scenario_server_ack():
    client = Client("server-ack")
    requests = []

    async def on_request(*args):
        requests.append(list(args))
        n = len(requests)
        return (f"v{n}", {"round": n}, bytes([9, n]))

    client.sio.on("server-ack-request", on_request)
    await client.connect()
    for r in (1, 2):
        await client.sio.emit("server-ack", (r, "x", bytes([r])))
        check(
            await client.next("server-ack-response"),
            [f"v{r}", {"round": r}, bytes([9, r])],
            "server-ack-response",
        )
        check(requests[r - 1], [r, "x", bytes([r])], "server-ack-request")
    return {}


async def scenario_multiplex():
    namespaces = ["/", "/custom", "/restricted"]
    client = await connected("multiplex", namespaces, auth={"token": "s3cret"})
    sids = {ns: client.sio.get_sid(ns) for ns in namespaces}
    if len(set(sids.values())) != 3:
        raise AssertionError(f"one socket id per namespace: {sids}")
    check(await client.next("auth", "/"), [{"token": "s3cret"}], "auth on /")
    check(await client.next("auth", "/custom"), [{"token": "s3cret"}], "auth on /custom")
    check(await client.next("welcome", "/restricted"), ["restricted"], "welcome")
    await client.sio.emit("message", "to custom", namespace="/custom")
    await client.sio.emit("message", "to root", namespace="/")
    check(await client.next("message-back", "/custom"), ["to custom"], "/custom echo")
    check(await client.next("message-back", "/"), ["to root"], "/ echo")
    await client.none("message-back", "/")
    await client.none("message-back", "/custom")
    return {"sids": sids}


async def scenario_force_disconnect():
    client = await connected("kicked")
    await client.next("auth")
    first = client.sio.get_sid("/")
    await client.sio.emit("force-disconnect")
    reason = await client.wait_for(
        lambda: client.disconnects[0][1] if client.disconnects else None, "disconnect"
    )
    # python-socketio's name for Node's `io server disconnect`.
    if reason != socketio.AsyncClient.reason.SERVER_DISCONNECT:
        raise AssertionError(f"disconnect reason {reason!r}")
    await asyncio.sleep(QUIET)
    if client.sio.connected:
        raise AssertionError("still connected")
    await client.connect()
    second = client.sio.get_sid("/")
    if second == first:
        raise AssertionError("same socket id after reconnecting")
    check(await client.next("auth"), [{}], "auth after reconnecting")
    check(await client.emit_and_next("message", "back again", "message-back"), ["back again"], "echo")
    return {"firstId": first, "secondId": second}


async def join(client, room):
    check(await client.sio.call("join", room, timeout=STEP), room, "join ack")


async def scenario_rooms():
    a = await connected("a")
    b = await connected("b")
    room, other = f"room-{NONCE}", f"other-{NONCE}"

    def in_room(args):
        return args[0] == room

    await join(a, room)
    await join(b, other)
    await a.sio.emit("to-room", (room, {"p": 1}))
    check(await a.next("room-message", match=in_room), [room, {"p": 1}], "room-message to a")
    await b.none("room-message", match=in_room)
    await join(b, room)
    await b.sio.emit("to-room", (room, b"\x01\x02"))
    for c in (a, b):
        check(await c.next("room-message", match=in_room), [room, b"\x01\x02"], "room-message")
    await a.none("room-message", match=in_room)
    await b.none("room-message", match=in_room)
    return {}


async def scenario_broadcast():
    clients = [await connected(name) for name in ("a", "b", "c")]
    custom = await connected("custom", ["/custom"])

    def mine(args):
        return isinstance(args[0], dict) and args[0].get("nonce") == NONCE

    await clients[0].sio.emit("broadcast", {"nonce": NONCE, "text": "hello"})
    for c in clients:
        check(await c.next("msg", match=mine), [{"nonce": NONCE, "text": "hello"}], "msg")
    for c in clients:
        await c.none("msg", match=mine)
    await custom.none("msg", "/custom", match=mine)
    return {}


async def scenario_peer_disconnected():
    watcher = await connected("watcher")
    bystander = await connected("bystander")
    await join(watcher, "disconnect-watchers")
    leaving = await connected("leaving")
    left_id = leaving.sio.get_sid("/")
    await leaving.sio.disconnect()
    check(
        await watcher.next("peer-disconnected", match=lambda a: a[0] == left_id),
        [left_id],
        "peer-disconnected (client disconnect)",
    )
    kicked = await connected("kicked")
    kicked_id = kicked.sio.get_sid("/")
    await kicked.sio.emit("force-disconnect")
    check(
        await watcher.next("peer-disconnected", match=lambda a: a[0] == kicked_id),
        [kicked_id],
        "peer-disconnected (server disconnect)",
    )
    await bystander.none("peer-disconnected", match=lambda a: a[0] in (left_id, kicked_id))
    return {"leftId": left_id, "kickedId": kicked_id}


async def scenario_auto_leave():
    a = await connected("a")
    b = await connected("b")
    room = f"leave-{NONCE}"

    def in_room(args):
        return args[0] == room

    await join(a, room)
    await join(b, room)
    await b.sio.emit("to-room", (room, 1))
    check(await a.next("room-message", match=in_room), [room, 1], "a in the room")
    check(await b.next("room-message", match=in_room), [room, 1], "b in the room")
    await a.sio.disconnect()
    await a.connect()
    await b.sio.emit("to-room", (room, 2))
    check(await b.next("room-message", match=in_room), [room, 2], "b still in the room")
    await a.none("room-message", match=in_room)
    await join(a, room)
    await b.sio.emit("to-room", (room, 3))
    check(await a.next("room-message", match=in_room), [room, 3], "a back in the room")
    await a.none("room-message", match=in_room)
    return {}


SCENARIOS = {
    "connect": scenario_connect,
    "custom": scenario_custom,
    "restricted": scenario_restricted,
    "message": scenario_message,
    "acks": scenario_acks,
    "server-ack": scenario_server_ack,
    "multiplex": scenario_multiplex,
    "force-disconnect": scenario_force_disconnect,
    "rooms": scenario_rooms,
    "broadcast": scenario_broadcast,
    "peer-disconnected": scenario_peer_disconnected,
    "auto-leave": scenario_auto_leave,
}


async def main():
    try:
        result = await asyncio.wait_for(SCENARIOS[SCENARIO](), DEADLINE)
        outcome = {"ok": True, **result}
    except asyncio.TimeoutError:
        outcome = {"ok": False, "error": f"timed out after {DEADLINE}s"}
    except Exception:  # noqa: BLE001 - everything is reported to the test
        outcome = {"ok": False, "error": traceback.format_exc()}
    outcome["elapsedMs"] = int((time.monotonic() - STARTED) * 1000)
    for c in CLIENTS:
        try:
            await asyncio.wait_for(c.sio.disconnect(), 1)
        except Exception:  # noqa: BLE001 - best effort
            pass
    report(outcome)


asyncio.run(main())

"""Drives python-engineio's client (protocol 4) against a server and reports what it saw as
one ``RESULT {json}`` line on stdout. Run by examples/tests/engineio_clients.rs:

    .venv/bin/python tests/clients/eio_client.py '{"url": "http://127.0.0.1:3000",
        "transports": ["polling", "websocket"], "scenario": "echo"}'

Config: url, transports (as the client option), scenario:
  echo              text and binary echo, then the client disconnects;
  heartbeat-timeout the client stops answering pings after the handshake; reports how the
                    session ended;
  wait-close        one echo, then ``READY {...}`` and waits for the server to close.
Every wait is bounded; failures are reported as ``"ok": false`` with an error.
"""

import json
import os
import queue
import sys
import threading
import time
import traceback

import engineio
from engineio import packet

CONFIG = json.loads(sys.argv[1])
SCENARIO = CONFIG.get("scenario", "echo")
DEADLINE = CONFIG.get("timeoutMs", 8000) / 1000.0
STEP = 5.0
TEXT = "hello é€😀"
BINARY = bytes([0, 1, 2, 255])
STARTED = time.monotonic()

result = {"ok": True, "scenario": SCENARIO, "echoes": [], "events": []}
report_lock = threading.Lock()


def note(event):
    result["events"].append(f"{int((time.monotonic() - STARTED) * 1000)}ms {event}")


def report(res):
    with report_lock:
        sys.stdout.write("RESULT " + json.dumps(res) + "\n")
        sys.stdout.flush()
        os._exit(0)


def watchdog():
    time.sleep(DEADLINE)
    report({**result, "ok": False, "error": f"scenario {SCENARIO} timed out"})


threading.Thread(target=watchdog, daemon=True).start()


class Client(engineio.Client):
    """Records transports used and can stop answering pings."""

    drop_pongs = False
    opened_on = None

    def _connect_polling(self, *args, **kwargs):
        note("connect polling")
        self.opened_on = self.opened_on or "polling"
        return super()._connect_polling(*args, **kwargs)

    def _connect_websocket(self, *args, **kwargs):
        upgrade = self.current_transport == "polling"
        self.opened_on = self.opened_on or "websocket"
        ok = super()._connect_websocket(*args, **kwargs)
        note(("upgrade websocket" if upgrade else "connect websocket") + ("" if ok else " failed"))
        return ok

    def _send_packet(self, pkt):
        if self.drop_pongs and pkt.packet_type == packet.PONG:
            note("pong suppressed")
            return
        super()._send_packet(pkt)


client = Client(handle_sigint=False, request_timeout=STEP)
messages = queue.Queue()
closed = threading.Event()
close_info = {}


@client.on("message")
def on_message(data):
    messages.put(data)


@client.on("disconnect")
def on_disconnect(reason):
    close_info["reason"] = reason
    close_info["at"] = time.monotonic()
    note(f"disconnect {reason}")
    closed.set()


def echo(label):
    sent_on = client.transport()
    client.send(f"{TEXT} {label}")
    text = messages.get(timeout=STEP)
    client.send(BINARY)
    binary = messages.get(timeout=STEP)
    result["echoes"].append(
        {
            "label": label,
            "sentOn": sent_on,
            "receivedOn": client.transport(),
            "text": text,
            "textOk": text == f"{TEXT} {label}",
            "binary": list(binary) if isinstance(binary, bytes) else binary,
            "binaryOk": binary == BINARY,
        }
    )


def main():
    client.connect(
        CONFIG["url"],
        transports=CONFIG.get("transports"),
        engineio_path="engine.io",
    )
    result["sid"] = client.sid
    result["openTransport"] = client.opened_on
    result["transport"] = client.transport()

    if SCENARIO == "echo":
        echo("first")
        result["finalTransport"] = client.transport()
        client.disconnect()
        closed.wait(STEP)
        result["closeReason"] = close_info.get("reason")
        return report(result)

    if SCENARIO == "heartbeat-timeout":
        client.drop_pongs = True
        since = time.monotonic()
        if not closed.wait(DEADLINE):
            raise RuntimeError("never closed")
        result["closeReason"] = close_info["reason"]
        result["closedAfterMs"] = int((close_info["at"] - since) * 1000)
        return report(result)

    if SCENARIO == "wait-close":
        echo("before close")
        ready_at = time.monotonic()
        sys.stdout.write(
            "READY " + json.dumps({"sid": client.sid, "transport": client.transport()}) + "\n"
        )
        sys.stdout.flush()
        if not closed.wait(DEADLINE):
            raise RuntimeError("never closed")
        result["closeReason"] = close_info["reason"]
        result["closedAfterReadyMs"] = int((close_info["at"] - ready_at) * 1000)
        return report(result)

    raise RuntimeError(f"unknown scenario {SCENARIO}")


try:
    main()
except Exception:  # noqa: BLE001 - reported to the test
    report({**result, "ok": False, "error": traceback.format_exc()})

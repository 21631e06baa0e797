#!/usr/bin/env python3
"""Talks just enough Kafka protocol for scripts/kafka.sh, without starting a JVM.

  probe.py ready HOST:PORT [TIMEOUT]   exit 0 if the broker serves metadata
  probe.py warm HOST:PORT [DEADLINE]   exit 0 once group and transaction
                                       coordinators and producer ids are ready

`ready` sends one Metadata request and wants at least one broker in the answer:
a KRaft broker leaves fenced brokers out, so this means "topics can be created
now", which an open port alone does not.

`warm` makes the broker create and load __consumer_offsets and
__transaction_state and fetch its first producer-id block now, so a test's
first consumer group, transaction or idempotent producer does not meet "coordinator not available / loading" retries (which clients such as
kafkajs log as errors) or a second of extra latency.

Request versions are the oldest that both Kafka 3.x and 4.x accept (4.0 dropped
many old versions, KIP-896).
"""
import socket
import struct
import sys
import time

CLIENT_ID = b"weir-kafka-probe"
WARM_KEY = b"weir-kafka-warmup"
NONE, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE = 0, 14, 15


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def call(addr, api_key, version, body, timeout, flexible=False):
    """One request on a fresh connection; returns the response body."""
    header = struct.pack(">hhih", api_key, version, 7, len(CLIENT_ID)) + CLIENT_ID
    if flexible:
        header += b"\x00"  # no tagged fields
    with socket.create_connection(addr, timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        (size,) = struct.unpack(">i", recv_exact(sock, 4))
        resp = recv_exact(sock, size)
    (correlation_id,) = struct.unpack(">i", resp[:4])
    if correlation_id != 7:
        raise ValueError("unexpected correlation id")
    return resp[5:] if flexible else resp[4:]  # flexible response header has tags


def metadata_brokers(addr, timeout):
    # Metadata v4: no topics, no auto-creation; body starts throttle, broker count.
    resp = call(addr, 3, 4, struct.pack(">ib", 0, 0), timeout)
    return struct.unpack(">ii", resp[:8])[1]


def find_coordinator_error(addr, key_type, timeout):
    # FindCoordinator v2: key, key_type (0 group, 1 transaction); asking is what
    # makes the broker create the internal topic.
    body = struct.pack(">h", len(WARM_KEY)) + WARM_KEY + struct.pack(">b", key_type)
    return struct.unpack(">ih", call(addr, 10, 2, body, timeout)[:6])[1]


def list_groups_error(addr, timeout):
    # ListGroups v1: loading offsets partitions answer COORDINATOR_LOAD_IN_PROGRESS.
    return struct.unpack(">ih", call(addr, 16, 1, b"", timeout)[:6])[1]


def list_transactions_error(addr, timeout):
    # ListTransactions v0 (flexible): empty state and producer-id filters.
    body = b"\x01\x01\x00"
    return struct.unpack(">ih", call(addr, 66, 0, body, timeout, flexible=True)[:6])[1]


def init_producer_id_error(addr, timeout):
    # InitProducerId v1 without a transactional id, as an idempotent producer
    # sends it: the broker fetches its first block of producer ids from the
    # controller lazily and says "loading" until it has one.
    body = struct.pack(">hi", -1, 60000)
    return struct.unpack(">ih", call(addr, 22, 1, body, timeout)[:6])[1]


def ready(addr, timeout):
    try:
        return metadata_brokers(addr, timeout) > 0
    except (OSError, ValueError, struct.error):
        return False


def warm(addr, deadline_s):
    steps = [
        lambda t: find_coordinator_error(addr, 0, t),
        lambda t: find_coordinator_error(addr, 1, t),
        lambda t: list_groups_error(addr, t),
        lambda t: list_transactions_error(addr, t),
        lambda t: init_producer_id_error(addr, t),
    ]
    deadline = time.monotonic() + deadline_s
    for step in steps:
        while True:
            try:
                error = step(5.0)
            except (OSError, ValueError, struct.error):
                error = COORDINATOR_NOT_AVAILABLE
            if error == NONE:
                break
            if error not in (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE):
                print(f"probe.py: warm-up got Kafka error code {error}", file=sys.stderr)
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
    return True


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("ready", "warm"):
        print(__doc__, file=sys.stderr)
        return 2
    host, _, port = sys.argv[2].rpartition(":")
    addr = (host or "127.0.0.1", int(port))
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else (2.0 if sys.argv[1] == "ready" else 60.0)
    ok = ready(addr, limit) if sys.argv[1] == "ready" else warm(addr, limit)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

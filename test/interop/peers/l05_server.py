"""A lesson 05 server for one connection: runs the handshake, then echoes
frames until the client ends. Usage: l05_server.py KEY_ID KEY_HEX
Prints its port, then one line: "authenticated <key id>" or
"refused <code>" or "closed"."""
import secrets
import socket
import struct
import sys
import time
import hmac

from l05_common import (
    CHALLENGE, CLIENT_LABEL, HELLO, MAX_HANDSHAKE, MAX_SESSION, PROOF, REFUSED, SERVER_LABEL, WELCOME,
    Closed, mac, read_frame, write_frame,
)
import re

KEY_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def refuse(conn, code, reason):
    write_frame(conn, bytes([REFUSED, code]) + reason.encode("utf-8")[:200])
    conn.shutdown(socket.SHUT_WR)  # FIN
    # Drop what still comes, at most 64 KiB or 1 s, then close.
    conn.settimeout(1)
    dropped, until = 0, time.monotonic() + 1
    try:
        while dropped <= 65536 and time.monotonic() < until:
            chunk = conn.recv(65536)
            if not chunk:
                break
            dropped += len(chunk)
    except OSError:
        pass
    print(f"refused {code}")


def serve(conn, keys):
    conn.settimeout(5)  # the handshake deadline, per read (close enough for a test peer)
    try:
        hello = read_frame(conn, MAX_HANDSHAKE)
    except ValueError as e:
        return refuse(conn, 1, str(e))
    if len(hello) < 34 or hello[0] != HELLO or not KEY_ID.fullmatch(hello[33:]):
        return refuse(conn, 1, "bad HELLO")
    key = keys.get(hello[33:].decode("ascii"))
    if key is None:
        return refuse(conn, 2, "unknown key id")
    challenge = bytes([CHALLENGE]) + secrets.token_bytes(32)
    write_frame(conn, challenge)
    try:
        proof = read_frame(conn, MAX_HANDSHAKE)
    except ValueError as e:
        return refuse(conn, 1, str(e))
    if len(proof) != 33 or proof[0] != PROOF:
        return refuse(conn, 1, "bad PROOF")
    if not hmac.compare_digest(proof[1:], mac(key, CLIENT_LABEL, hello, challenge)):
        return refuse(conn, 3, "the proof is wrong")
    write_frame(conn, bytes([WELCOME]) + mac(key, SERVER_LABEL, hello, challenge))
    print(f"authenticated {hello[33:].decode('ascii')}")
    conn.settimeout(10)
    while True:
        head = conn.recv(4, socket.MSG_WAITALL)
        if head == b"":
            break
        (length,) = struct.unpack(">I", head)
        if length > MAX_SESSION:
            return refuse(conn, 1, "session frame too long")
        payload = conn.recv(length, socket.MSG_WAITALL) if length else b""
        write_frame(conn, payload)
    conn.shutdown(socket.SHUT_WR)


def main():
    keys = {sys.argv[1]: bytes.fromhex(sys.argv[2])}
    with socket.create_server(("127.0.0.1", 0)) as server:
        print(server.getsockname()[1], flush=True)
        conn, _ = server.accept()
        with conn:
            try:
                serve(conn, keys)
            except (Closed, OSError):
                print("closed")


main()

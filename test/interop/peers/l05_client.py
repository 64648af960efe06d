"""A lesson 05 client: authenticates, checks the server, sends frames and
reads their echoes.

Usage: l05_client.py PORT KEY_ID KEY_HEX MESSAGE [MESSAGE ...] [--with-proof] [--fin-after hello|proof]
Prints "echo <message>" for each message (then exits 0), or one line
"refused <code> <reason>" (exit 2), "fake-server" (exit 3), "malformed
<what>" (exit 4). --with-proof sends the first message in the same write
as PROOF: it is a session frame, echoed after WELCOME. --fin-after ends
the client's side right after HELLO or PROOF, and prints what the server
sent then: "after hello: CHALLENGE, then the end" (exit 5).
"""
import secrets
import socket
import sys

from l05_common import (
    CHALLENGE, CLIENT_LABEL, HELLO, MAX_HANDSHAKE, MAX_SESSION, PROOF, REFUSED, SERVER_LABEL, WELCOME,
    Closed, mac, read_frame, write_frame,
)
import hmac
import struct

NAMES = {CHALLENGE: "CHALLENGE", WELCOME: "WELCOME", REFUSED: "REFUSED"}


def expect(sock, kind, length, name):
    payload = read_frame(sock, MAX_HANDSHAKE)
    if payload[:1] == bytes([REFUSED]) and len(payload) >= 2:
        print(f"refused {payload[1]} {payload[2:].decode('utf-8', 'replace')}")
        sys.exit(2)
    if len(payload) != length or payload[0] != kind:
        print(f"malformed {name}")
        sys.exit(4)
    return payload


def report_after_fin(sock, step):
    """After our FIN: the frames the server still sent, by type, and whether it then ended its side."""
    sock.shutdown(socket.SHUT_WR)
    seen = []
    while True:
        try:
            payload = read_frame(sock, MAX_HANDSHAKE)
        except Closed:
            break
        seen.append(NAMES.get(payload[0], "type %d" % payload[0]) if payload else "empty")
    print(f"after {step}: {', '.join(seen) or 'nothing'}, then the end")
    sys.exit(5)


def main():
    args = sys.argv[1:]
    with_proof = "--with-proof" in args
    fin_after = None
    if "--fin-after" in args:
        i = args.index("--fin-after")
        fin_after = args[i + 1]
        del args[i : i + 2]
    args = [a for a in args if a != "--with-proof"]
    port, key_id, key = int(args[0]), args[1], bytes.fromhex(args[2])
    messages = [m.encode("utf-8") for m in args[3:]]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        hello = bytes([HELLO]) + secrets.token_bytes(32) + key_id.encode("ascii")
        write_frame(sock, hello)
        if fin_after == "hello":
            report_after_fin(sock, "hello")
        challenge = expect(sock, CHALLENGE, 33, "CHALLENGE")
        proof = bytes([PROOF]) + mac(key, CLIENT_LABEL, hello, challenge)
        if with_proof and messages:
            first = messages[0]
            sock.sendall(struct.pack("!I", len(proof)) + proof + struct.pack("!I", len(first)) + first)
        else:
            write_frame(sock, proof)
        if fin_after == "proof":
            report_after_fin(sock, "proof")
        welcome = expect(sock, WELCOME, 33, "WELCOME")
        if not hmac.compare_digest(welcome[1:], mac(key, SERVER_LABEL, hello, challenge)):
            print("fake-server")
            sys.exit(3)
        for i, message in enumerate(messages):
            if not (with_proof and i == 0):
                write_frame(sock, message)
        echoes = [read_frame(sock, MAX_SESSION) for _ in messages]
        sock.shutdown(socket.SHUT_WR)
        rest = sock.recv(1)  # the server ends its side after our FIN
        for echo in echoes:
            print(f"echo {echo.decode('utf-8')}" + ("" if rest == b"" else " (and more bytes)"))


main()

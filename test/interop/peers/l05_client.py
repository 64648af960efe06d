"""A lesson 05 client: authenticates, checks the server, sends one frame and
reads its echo. Usage: l05_client.py PORT KEY_ID KEY_HEX MESSAGE
Prints one line: "echo <message>", "refused <code> <reason>" or
"fake-server", and exits 0, 2 or 3."""
import secrets
import socket
import sys

from l05_common import (
    CHALLENGE, CLIENT_LABEL, HELLO, MAX_HANDSHAKE, MAX_SESSION, PROOF, REFUSED, SERVER_LABEL, WELCOME,
    mac, read_frame, write_frame,
)
import hmac


def expect(sock, kind, length, name):
    payload = read_frame(sock, MAX_HANDSHAKE)
    if payload[:1] == bytes([REFUSED]) and len(payload) >= 2:
        print(f"refused {payload[1]} {payload[2:].decode('utf-8', 'replace')}")
        sys.exit(2)
    if len(payload) != length or payload[0] != kind:
        print(f"malformed {name}")
        sys.exit(4)
    return payload


def main():
    port, key_id, key = int(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3])
    message = sys.argv[4].encode("utf-8")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        hello = bytes([HELLO]) + secrets.token_bytes(32) + key_id.encode("ascii")
        write_frame(sock, hello)
        challenge = expect(sock, CHALLENGE, 33, "CHALLENGE")
        write_frame(sock, bytes([PROOF]) + mac(key, CLIENT_LABEL, hello, challenge))
        welcome = expect(sock, WELCOME, 33, "WELCOME")
        if not hmac.compare_digest(welcome[1:], mac(key, SERVER_LABEL, hello, challenge)):
            print("fake-server")
            sys.exit(3)
        write_frame(sock, message)
        echo = read_frame(sock, MAX_SESSION)
        sock.shutdown(socket.SHUT_WR)
        rest = sock.recv(1)  # the server ends its side after our FIN
        print(f"echo {echo.decode('utf-8')}" + ("" if rest == b"" else " (and more bytes)"))


main()

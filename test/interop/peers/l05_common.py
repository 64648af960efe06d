"""Lesson 05's handshake framing, written from lessons/05-hmac-auth/README.md
("Wire format") alone. Standard library only."""
import hashlib
import hmac
import socket
import struct

HELLO, CHALLENGE, PROOF, WELCOME, REFUSED = 0x01, 0x02, 0x03, 0x04, 0xFF
MAX_HANDSHAKE = 128
MAX_SESSION = 65536
CLIENT_LABEL = b"l05 client proof"
SERVER_LABEL = b"l05 server proof"


class Closed(Exception):
    pass


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """recv() returns what has arrived so far: loop until n bytes, or fail."""
    parts = []
    while n > 0:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            raise Closed("the peer closed the connection")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame(sock: socket.socket, limit: int) -> bytes:
    (length,) = struct.unpack(">I", recv_exactly(sock, 4))
    if length > limit:
        raise ValueError(f"a frame of {length} bytes is over the limit of {limit}")
    return recv_exactly(sock, length)


def write_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def mac(key: bytes, label: bytes, hello: bytes, challenge: bytes) -> bytes:
    return hmac.new(key, label + hello + challenge, hashlib.sha256).digest()

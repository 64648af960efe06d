"""A shout-protocol client, written from lessons/06-concurrent-servers/README.md
("Wire format") alone. Standard library only.

Usage: shout_client.py PORT ITERATIONS CHECK
CHECK is one of: shout, hash, hash-fin, shout-fin, too-long, full, timeout.
hash-fin and shout-fin send their lines and the client's FIN at once: the
server must still answer every whole line, then end its side.
Prints one line per check that passed and exits 0; exits 1 with the reason
on the first mismatch.
"""
import hashlib
import socket
import sys

port, iterations, check = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


class Lines:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        """One reply line, newline included; b"" if the server ended first."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def at_eof(self):
        return self.buf == b"" and self.sock.recv(1) == b""


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, Lines(s)


def upper(b):
    return bytes(x - 0x20 if 0x61 <= x <= 0x7A else x for x in b)


if check == "shout":
    s, r = connect()
    for req in [b"hello", b"Hi!", b"", "é".encode("utf-8"), bytes(range(1, 10)) + bytes(range(11, 256))]:
        s.sendall(req + b"\n")
        got = r.line()
        if got != upper(req) + b"\n":
            fail(f"shout {req!r}: got {got!r}")
    s.sendall(b"one\ntwo\nthree\n")  # pipelined
    for want in [b"ONE\n", b"TWO\n", b"THREE\n"]:
        if r.line() != want:
            fail(f"pipelined: expected {want!r}")
    s.sendall(b"last\nno newline")
    s.shutdown(socket.SHUT_WR)
    if r.line() != b"LAST\n":
        fail("the last whole line was not answered")
    if not r.at_eof():
        fail("the server answered bytes after the last newline, or did not end")
    print("shout ok")
elif check == "hash":
    s, r = connect()
    for secret in [b"hunter2", b"", b"\xff\x00 spaces "]:
        s.sendall(b"HASH " + secret + b"\n")
        want = hashlib.pbkdf2_hmac("sha256", secret, b"lesson-06", iterations, 32).hex().encode() + b"\n"
        got = r.line()
        if got != want:
            fail(f"HASH {secret!r}: got {got!r}, expected {want!r}")
    s.sendall(b"hash lower\n")
    if r.line() != b"HASH LOWER\n":
        fail("a lower-case 'hash' line must be shouted")
    print("hash ok")
elif check in ("hash-fin", "shout-fin"):
    s, r = connect()
    lines = [b"HASH hunter2", b"bye"] if check == "hash-fin" else [b"one", b"two"]
    s.sendall(b"".join(line + b"\n" for line in lines))
    s.shutdown(socket.SHUT_WR)  # at once: the replies are not ready yet
    for line in lines:
        secret = line[5:] if line.startswith(b"HASH ") else None
        want = (
            hashlib.pbkdf2_hmac("sha256", secret, b"lesson-06", iterations, 32).hex().encode()
            if secret is not None
            else upper(line)
        ) + b"\n"
        got = r.line()
        if got != want:
            fail(f"{line!r} sent with the client's FIN: got {got!r}, expected {want!r}")
    if not r.at_eof():
        fail("the server did not end its side after the last reply")
    print(f"{check} ok")
elif check == "too-long":
    s, r = connect()
    s.sendall(b"ok\n" + b"x" * 1025)
    if r.line() != b"OK\n":
        fail("the whole line before the long one was not answered first")
    got = r.line()
    if got != b"ERR too long\n":
        fail(f"a 1,025-byte line: got {got!r}")
    if not r.at_eof():
        fail("no FIN after ERR too long")
    print("too-long ok")
elif check == "full":
    first, r1 = connect()
    first.sendall(b"a\n")
    if r1.line() != b"A\n":
        fail("the first client was not served")
    second, r2 = connect()
    got = r2.line()
    if got != b"ERR full\n":
        fail(f"the client over maxConnections 1: got {got!r}")
    if not r2.at_eof():
        fail("no FIN after ERR full")
    print("full ok")
elif check == "timeout":
    s, r = connect()
    got = r.line()  # say nothing: the idle deadline must pass
    if got != b"ERR timeout\n":
        fail(f"a silent client: got {got!r}")
    if not r.at_eof():
        fail("no FIN after ERR timeout")
    print("timeout ok")
else:
    fail(f"unknown check {check}")

"""Lesson 07 interop: a login client written from the README's Wire format alone.

Usage: l07_client.py PORT
Registers a user, registers until the address must wait, logs in with a
wrong and a right password, checks the token with whoami, logs out, and
sends a frame over the limit. Prints one line per reply: the reply's payload
exactly as received. Then, on new connections: a request and a frame over
the limit in one write (both get a reply, in order); a password holding the
escape \ud800 alone (bad-request); a whole request, then half of one, then
FIN (the whole one is answered, the cut one dropped). After each, "eof"
once the server ends.
"""
import json
import socket
import struct
import sys


def send(sock, message):
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("the server closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_reply(sock):
    (length,) = struct.unpack(">I", recv_exactly(sock, 4))
    if length > 4096:
        raise ValueError("a reply of %d bytes is over the limit" % length)
    return recv_exactly(sock, length).decode("utf-8")


def ask(sock, message):
    send(sock, message)
    reply = recv_reply(sock)
    print(reply)
    return json.loads(reply)


def main():
    port = int(sys.argv[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        ask(sock, {"op": "register", "user": "pyuser", "password": "correct horse"})
        ask(sock, {"op": "register", "user": "pyuser", "password": "another one"})
        # The 3rd registration from this address is free; the 4th must wait.
        ask(sock, {"op": "register", "user": "pyuser2", "password": "correct horse"})
        wait = ask(sock, {"op": "register", "user": "pyuser3", "password": "correct horse"})
        if wait.get("error") != "try-later" or not 0 < wait["retryAfterMs"] <= 1000:
            raise ValueError("the 4th registration was not told to wait up to 1000 ms")
        ask(sock, {"op": "login", "user": "pyuser", "password": "wrong horse"})
        ask(sock, {"op": "login", "user": "nobody", "password": "wrong horse"})
        ok = ask(sock, {"op": "login", "user": "pyuser", "password": "correct horse"})
        token = ok["token"]
        ask(sock, {"op": "whoami", "token": token})
        ask(sock, {"op": "logout", "token": token})
        ask(sock, {"op": "whoami", "token": token})
    # A frame over 4096 bytes: the server replies too-big, then FIN.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(struct.pack(">I", 1024 * 1024))
        print(recv_reply(sock))
        print("eof" if sock.recv(1) == b"" else "more bytes after too-big")
    whoami = json.dumps({"op": "whoami", "token": "x"}, separators=(",", ":")).encode("utf-8")
    framed = struct.pack(">I", len(whoami)) + whoami
    surrogate = b'{"op":"register","user":"pyuser2","password":"\\ud800abcdefgh"}'
    for data, replies, fin in [
        (framed + struct.pack(">I", 4097), 2, False),
        (struct.pack(">I", len(surrogate)) + surrogate, 1, False),
        (framed + framed[:7], 1, True),
    ]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(data)
            if fin:
                sock.shutdown(socket.SHUT_WR)
            for _ in range(replies):
                print(recv_reply(sock))
            print("eof" if sock.recv(1) == b"" else "more bytes")


if __name__ == "__main__":
    main()

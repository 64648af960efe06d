"""Lesson 07 interop: a login server written from the README's Wire format alone.

Usage: l07_server.py
Prints the port it listens on (127.0.0.1, an ephemeral port), then serves
register, login, whoami and logout until it is killed. Users live in memory;
passwords are stored as $scrypt$ records (ln=10 here, to be quick). Failed
logins are counted per user name: 3 free, then a wait of 1000 ms doubling.
Registrations are counted per source address: 3 free, then a wait of 1000 ms
doubling up to 600000 ms. At most 4 password hashes run at once ("busy").
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import struct
import threading
import time
import unicodedata

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
LN, R, P = 10, 8, 1
MAX_HASHES = 4
users = {}
failures = {}
registrations = {}
sessions = {}
hashing = [0]
lock = threading.Lock()


def b64(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def derive(password, salt):
    data = unicodedata.normalize("NFC", password).encode("utf-8")
    return hashlib.scrypt(data, salt=salt, n=2**LN, r=R, p=P, maxmem=2 * 128 * 2**LN * R, dklen=32)


def make_record(password):
    salt = os.urandom(16)
    return "$scrypt$ln=%d,r=%d,p=%d$%s$%s" % (LN, R, P, b64(salt), b64(derive(password, salt)))


def matches(password, record):
    _, _, _, salt, digest = record.split("$")
    pad = lambda s: s + "=" * (-len(s) % 4)
    return hmac.compare_digest(derive(password, base64.b64decode(pad(salt))), base64.b64decode(pad(digest)))


DUMMY = make_record(secrets.token_hex(16))


def wait_ms(counts, key, ceiling):
    count, last = counts.get(key, (0, 0.0))
    if time.time() - last >= 3600:
        count = 0
    wait = 0 if count < 3 else min(ceiling, 1000 * 2 ** (count - 3))
    return count, max(0, int(last * 1000 + wait - time.time() * 1000))


def status(user):
    count, left_ms = wait_ms(failures, user, 60000)
    return max(0, 3 - count), left_ms


def release_hash():
    with lock:
        hashing[0] -= 1


def answer(request, address):
    op = request.get("op")
    if op == "register":
        user, password = request["user"], request["password"]
        if not USERNAME.fullmatch(user):
            return {"ok": False, "error": "bad-username"}
        size = len(unicodedata.normalize("NFC", password).encode("utf-8"))
        if size < 8:
            return {"ok": False, "error": "password-too-short"}
        if size > 1024:
            return {"ok": False, "error": "password-too-long"}
        with lock:
            if hashing[0] >= MAX_HASHES:
                return {"ok": False, "error": "busy"}
            count, wait = wait_ms(registrations, address, 600000)
            if wait > 0:
                return {"ok": False, "error": "try-later", "retryAfterMs": wait}
            registrations[address] = (count + 1, time.time())
            if user in users:
                return {"ok": False, "error": "taken"}
            hashing[0] += 1
        try:
            record = make_record(password)
        finally:
            release_hash()
        with lock:
            if user in users:
                return {"ok": False, "error": "taken"}
            users[user] = record
        return {"ok": True}
    if op == "login":
        user, password = request["user"], request["password"]
        with lock:
            if hashing[0] >= MAX_HASHES:
                return {"ok": False, "error": "busy"}
            _, wait = status(user)
            if wait > 0:
                return {"ok": False, "error": "try-later", "retryAfterMs": wait}
            count, _ = wait_ms(failures, user, 60000)
            failures[user] = (count + 1, time.time())
            hashing[0] += 1
        try:
            good = matches(password, users.get(user, DUMMY)) and user in users
        finally:
            release_hash()
        with lock:
            if good:
                failures.pop(user, None)
                token = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")
                sessions[token] = user
                return {"ok": True, "token": token, "expiresInMs": 3600000}
            left, wait = status(user)
        return {"ok": False, "error": "login-failed", "attemptsLeft": left, "retryAfterMs": wait}
    if op == "whoami":
        user = sessions.get(request["token"])
        return {"ok": True, "user": user} if user else {"ok": False, "error": "bad-token"}
    if op == "logout":
        sessions.pop(request["token"], None)
        return {"ok": True}
    raise ValueError("unknown op")


def frame(message):
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(payload)) + payload


def recv_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn):
    address = conn.getpeername()[0]
    conn.settimeout(10)
    with conn:
        while True:
            header = recv_exactly(conn, 4)
            if header is None:
                return
            (length,) = struct.unpack(">I", header)
            if length > 4096:
                conn.sendall(frame({"ok": False, "error": "too-big"}))
                return
            payload = recv_exactly(conn, length)
            if payload is None:
                return
            try:
                request = json.loads(payload.decode("utf-8"))
                reply = answer(request, address)
            except (ValueError, KeyError, TypeError, AttributeError):
                conn.sendall(frame({"ok": False, "error": "bad-request"}))
                return
            conn.sendall(frame(reply))


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()

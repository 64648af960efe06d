"""Lesson 04 receiver, written from lessons/04-file-transfer/README.md "Wire format" alone.

Usage: l04_receiver.py ROOT QUOTA [--after-header fin|rst|HEX]

Listens on 127.0.0.1, port 0, prints the port on its first line, then
serves one connection at a time for ever, printing each verdict's JSON
text on a line of its own. Checks in the README's order, answers with a
verdict frame, sends its FIN, drops up to 1 MiB more, and closes.

--after-header makes it a bad receiver on purpose, to test a sender: right
after the header frame it ends the connection (fin), resets it (rst,
SO_LINGER 0), or sends the bytes HEX stands for and then ends it.
"""
import hashlib
import json
import math
import os
import re
import socket
import struct
import sys
import uuid

MAX_HEADER = 4096
MAX_NAME_BYTES = 255
MAX_DISCARD = 1024 * 1024
MAX_SIZE = 2**53 - 1
IDLE_SECONDS = 30
# The README: nesting has no limit but the 4096 bytes (about 2,000 levels);
# json.loads needs more than Python's default recursion limit for that.
sys.setrecursionlimit(10_000)
DEVICES = {"con", "prn", "aux", "nul"} | {f"{p}{d}" for p in ("com", "lpt") for d in "0123456789¹²³"}
HEX64 = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def encode(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def recv_exactly(sock: socket.socket, n: int, what: str) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(min(n - len(data), 1 << 20))
        if not chunk:
            raise EOFError(f"the connection ended after {len(data)} of the {n} bytes of {what}")
        data += chunk
    return data


def quote(name: str) -> str:
    """A name in a message, as JSON.stringify writes it: a lone surrogate becomes the escape \\ud800."""
    return json.dumps(name, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")


def no_duplicates(pairs):
    seen = set()
    for name, _ in pairs:
        if name in seen:
            raise Refused("bad-header", f"the member {json.dumps(name)} occurs twice")
        seen.add(name)
    return dict(pairs)


def not_json(text: str):
    raise ValueError(f"{text} is not JSON")


def parse_header(payload: bytes) -> dict:
    try:
        text = payload.decode("utf-8-sig")  # strict UTF-8; one leading BOM skipped
    except UnicodeDecodeError:
        raise Refused("bad-header", "the header is not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=not_json)
    except Refused:
        raise
    except ValueError:
        raise Refused("bad-header", "the header is not JSON") from None
    if not isinstance(value, dict):
        raise Refused("bad-header", "the header is not a JSON object")
    name, size, sha = value.get("name"), value.get("size"), value.get("sha256")
    if not isinstance(name, str):
        raise Refused("bad-header", '"name" must be a string')
    # A number is read as an IEEE 754 double; its value must be whole, 0 to 2^53 - 1.
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise Refused("bad-header", '"size" must be a number')
    # Every int past 2^53 - 1 is also past it as a double, so ints are compared exactly.
    whole = 0 <= size <= MAX_SIZE if isinstance(size, int) else math.isfinite(size) and size.is_integer()
    if not (whole and 0 <= size <= MAX_SIZE):
        raise Refused("bad-header", '"size" must be a whole number from 0 to 9007199254740991')
    if not isinstance(sha, str) or not HEX64.fullmatch(sha):
        raise Refused("bad-header", '"sha256" must be 64 lowercase hex digits')
    return {"name": name, "size": int(size), "sha256": sha}


def name_problem(name: str) -> str:
    if name in ("", ".", ".."):
        return "it is empty or names a folder"
    if any(c in name for c in "/\\:"):
        return "it contains a separator"
    if any(ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "it contains a control character or broken Unicode"
    if name.startswith("."):
        return "it starts with '.'"
    if name.endswith(".") or name.endswith(" "):
        return "it ends with '.' or a space"
    stem = name.split(".")[0].rstrip(" ")
    if stem.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)}) in DEVICES:
        return "it is a Windows device name"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return "it is longer than 255 bytes of UTF-8"
    return ""


class Receiver:
    def __init__(self, root: str, quota: int):
        self.root = root
        self.left = quota

    def receive(self, sock: socket.socket) -> dict:
        head = recv_exactly(sock, 4, "the header's length")
        (length,) = struct.unpack(">I", head)
        if length > MAX_HEADER:
            raise Refused("bad-header", f"a frame of {length} bytes is over the limit of {MAX_HEADER} bytes")
        header = parse_header(recv_exactly(sock, length, "the header"))
        problem = name_problem(header["name"])
        if problem:
            raise Refused("bad-name", f"the name {quote(header['name'])} is refused: {problem}")
        if header["size"] > self.left:
            raise Refused("quota", f"{header['size']} bytes do not fit: {self.left} more may come")
        final = os.path.join(self.root, header["name"])
        if os.path.lexists(final):
            raise Refused("exists", f"a file named {quote(header['name'])} is already there")
        self.left -= header["size"]
        temp = os.path.join(self.root, f".upload-{uuid.uuid4()}.tmp")
        try:
            digest = hashlib.sha256()
            with open(temp, "xb") as out:
                missing = header["size"]
                while missing > 0:
                    chunk = sock.recv(min(missing, 1 << 20))
                    if not chunk:
                        raise Refused("short-body", f"the connection ended {missing} bytes before the end of the body")
                    digest.update(chunk)
                    out.write(chunk)
                    missing -= len(chunk)
                # Bytes already here after the body: the size was a lie.
                sock.setblocking(False)
                try:
                    extra = sock.recv(1, socket.MSG_PEEK)
                except BlockingIOError:
                    extra = b""
                finally:
                    sock.setblocking(True)
                    sock.settimeout(IDLE_SECONDS)
                if extra:
                    raise Refused("long-body", "more bytes than the size came")
                if digest.hexdigest() != header["sha256"]:
                    raise Refused("hash-mismatch", "the body's SHA-256 is not the one announced")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temp, final)
            except FileExistsError:
                raise Refused("exists", "a file with that name is already there") from None
            os.unlink(temp)
            folder = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
            return {"ok": True, "name": header["name"], "size": header["size"], "sha256": header["sha256"]}
        except BaseException:
            self.left += header["size"]
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    def misbehave(self, sock: socket.socket, how: str) -> None:
        (length,) = struct.unpack(">I", recv_exactly(sock, 4, "the header's length"))
        recv_exactly(sock, length, "the header")
        if how == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return sock.close()
        if how != "fin":
            sock.sendall(bytes.fromhex(how))
        sock.shutdown(socket.SHUT_WR)
        try:  # read and drop the body until the sender closes: closing with it unread would send a reset
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()

    def serve(self, sock: socket.socket) -> None:
        sock.settimeout(IDLE_SECONDS)
        try:
            verdict = self.receive(sock)
        except Refused as refusal:
            verdict = {"ok": False, "code": refusal.code, "message": str(refusal)[:500]}
        except EOFError as error:  # a FIN before or inside the header frame
            verdict = {"ok": False, "code": "bad-header", "message": str(error)}
        except socket.timeout:
            verdict = {"ok": False, "code": "timeout", "message": "the sender sent nothing for too long"}
        except OSError as error:
            verdict = {"ok": False, "code": "io-error", "message": f"the receiver could not save the file ({error.errno})"}
        print(json.dumps(verdict, ensure_ascii=False), flush=True)
        try:
            sock.sendall(struct.pack(">I", len(encode(verdict))) + encode(verdict))
            sock.shutdown(socket.SHUT_WR)
            if verdict.get("code") != "timeout":
                dropped = 0
                while dropped <= MAX_DISCARD:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    dropped += len(chunk)
        except OSError:
            pass  # the sender is gone; nothing more to tell it
        sock.close()


def main() -> None:
    root, quota = sys.argv[1], int(sys.argv[2])
    after_header = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--after-header" else None
    receiver = Receiver(root, quota)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        if after_header:
            receiver.misbehave(conn, after_header)
        else:
            receiver.serve(conn)


if __name__ == "__main__":
    main()

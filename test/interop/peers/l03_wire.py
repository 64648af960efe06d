"""Lesson 03's command protocol, from lessons/03-struct-framing/README.md ("Wire format") alone.

Shared by l03_client.py and l03_server.py. Standard library only.
"""
import json
import struct

MAX_FRAME = 65536
MAX_ID = 64
RUN, STDOUT, STDERR, EXIT, ERROR = 0, 1, 2, 3, 4


class FrameError(Exception):
    """A broken stream: the text is the README's ERROR text for it."""


def count(n):
    return "1 byte" if n == 1 else "%d bytes" % n


def frame(type_byte, data=b""):
    payload = bytes([type_byte]) + data
    return struct.pack("!I", len(payload)) + payload


class FrameReader:
    """Reads u32be-length frames from a socket, checking each length before reading its payload."""

    def __init__(self, sock, limit=MAX_FRAME):
        self.sock = sock
        self.limit = limit
        self.buf = b""
        self.eof = False

    def _fill(self, n):
        while len(self.buf) < n and not self.eof:
            chunk = self.sock.recv(65536)
            if chunk:
                self.buf += chunk
            else:
                self.eof = True
        return len(self.buf) >= n

    def read(self):
        """The next payload (bytes, maybe empty), or None at a clean end between frames."""
        if not self._fill(4):
            if not self.buf:
                return None
            have = len(self.buf)
            raise FrameError(
                "the stream ended inside a frame header: got %d of its 4 bytes, %s missing" % (have, count(4 - have))
            )
        header = self.buf[:4]
        (length,) = struct.unpack("!I", header)
        if length > self.limit:
            text = "a frame header (%s) announces %s, over the limit of %s" % (
                " ".join("%02x" % b for b in header),
                count(length),
                count(self.limit),
            )
            (little,) = struct.unpack("<I", header)
            if little <= self.limit:
                text += (
                    "; read as little-endian it would be %s: is the sender writing its length in native byte order"
                    " (struct.pack('i', n)) instead of network order ('!I')?" % count(little)
                )
            raise FrameError(text)
        if not self._fill(4 + length):
            have = len(self.buf) - 4
            raise FrameError(
                "the stream ended inside a %d-byte frame: got %s of its payload, %s missing"
                % (length, count(have), count(length - have))
            )
        payload, self.buf = self.buf[4 : 4 + length], self.buf[4 + length :]
        return payload


def exit_json(code, sig, reason=None):
    """The EXIT data exactly: no spaces, members in the order code, signal, reason."""
    members = [("code", code), ("signal", sig)] + ([("reason", reason)] if reason else [])
    return "{" + ",".join("%s:%s" % (json.dumps(k), json.dumps(v)) for k, v in members) + "}"


MAX_SAFE = 2**53 - 1  # the largest whole number a 64-bit double holds exactly


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_exit(data):
    """Checks an EXIT frame's JSON as the README says; raises ValueError if it is not valid."""
    # Strict UTF-8, skipping one BOM at the very start (utf-8-sig). NaN and
    # Infinity are not JSON, though json.loads would take them by default.
    value = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    if not isinstance(value, dict):
        raise ValueError("EXIT is not a JSON object")
    code, sig = value.get("code", "missing"), value.get("signal", "missing")
    if code is not None:
        if isinstance(code, bool) or not isinstance(code, (int, float)) or abs(code) > MAX_SAFE or code != int(code):
            raise ValueError("bad code %r" % (code,))
        code = int(code)  # 0, 0.0 and 0e0 are all 0
    if sig is not None and not isinstance(sig, str):
        raise ValueError("bad signal %r" % (sig,))
    reason = value.get("reason", "absent")
    if reason not in ("absent", "timeout", "output-limit"):
        raise ValueError("bad reason %r" % (reason,))
    result = {"code": code, "signal": sig}
    if reason != "absent":
        result["reason"] = reason
    return result

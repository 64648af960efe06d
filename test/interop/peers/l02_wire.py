"""Lesson 02's wire format, from lessons/02-sticky-packets/README.md ("Wire format") alone.

Shared by l02_client.py and l02_server.py: lines, the quoting of refused
names, and how a reply is read. Standard library only.
"""
import json

MAX_LINE = 4096  # bytes, not counting the 0x0A
MAX_OUTPUT_LINE = MAX_LINE - 4  # after the 4-byte tag "out " or "err "
QUOTE_LIMIT = 64  # characters (code points)


class LineTooLong(Exception):
    pass


class LineReader:
    """Cuts a byte stream into lines at 0x0A; refuses a line once 4,097 bytes came without one."""

    def __init__(self, sock, limit=MAX_LINE):
        self.sock = sock
        self.limit = limit
        self.buf = b""
        self.eof = False

    def read_line(self):
        """The next line without its 0x0A; None at a clean end; b'' ... raises on a partial last line."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                if nl > self.limit:
                    raise LineTooLong()
                line, self.buf = self.buf[:nl], self.buf[nl + 1 :]
                return line
            if len(self.buf) > self.limit:
                raise LineTooLong()
            if self.eof:
                if self.buf:
                    raise EOFError("the stream ended without 0x0A")
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                self.eof = True
            else:
                self.buf += chunk


def quote(name):
    """A refused name as the Wire format says: first 64 code points, JSON.stringify-style, then '...' if cut."""
    kept = name[:QUOTE_LIMIT]  # a Python str is indexed by code point
    return json.dumps(kept, ensure_ascii=False) + ("..." if len(name) > QUOTE_LIMIT else "")


def read_reply(reader):
    """One reply as a dict: {"out": [hex], "err": [hex], "exit": n} or {"error": text}; None at the end."""
    out, err = [], []
    while True:
        line = reader.read_line()
        if line is None:
            if out or err:
                raise EOFError("the stream ended inside a reply")
            return None
        if line.startswith(b"out "):
            out.append(line[4:].hex())
        elif line.startswith(b"err "):
            err.append(line[4:].hex())
        elif line.startswith(b"exit "):
            code = line[5:]
            if not code.isdigit() or (len(code) > 1 and code[:1] == b"0") or int(code) > 255:
                raise ValueError("bad exit line %r" % line)
            return {"out": out, "err": err, "exit": int(code)}
        elif line.startswith(b"error "):
            if out or err:
                raise ValueError("an error line after output lines")
            return {"error": line[6:].decode("utf-8")}
        else:
            raise ValueError("not a reply line: %r" % line)

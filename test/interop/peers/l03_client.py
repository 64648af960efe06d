"""A lesson 03 command client, from lessons/03-struct-framing/README.md ("Wire format") alone.

Usage: l03_client.py PORT, with a JSON job on stdin:
  {"ids": ["<hex of a command id>", ...], "tail": "<hex of raw bytes>" or null,
   "after_fin": <n> (optional)}
It sends one RUN frame per id, all at once (pipelined), then the raw tail,
then ends its side (FIN). It reads frames until the server ends its side and
prints one JSON object:
  {"replies": [{"stdout": hex, "stderr": hex, "exit": {...}, "exit_raw": text} or {"error": text}],
   "expected_errors": [...], "fin": true, "reset": false}
where expected_errors holds, for each id, the ERROR text this client
computes for it if the server refuses it (unknown, or an invalid id).

With "after_fin", the client does not end its side first: it reads until
the server's FIN (after an ERROR that ends the connection), then sends n
more bytes, then ends its side. The Wire format says the server reads and
drops them: "reset" says whether a reset came instead.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from l03_wire import ERROR, EXIT, MAX_ID, RUN, STDERR, STDOUT, FrameReader, frame, parse_exit  # noqa: E402


def expected_error(id_bytes):
    if not 1 <= len(id_bytes) <= MAX_ID:
        return "command id must be 1 to %d bytes, got %d" % (MAX_ID, len(id_bytes))
    try:
        return "unknown command " + json.dumps(id_bytes.decode("utf-8"), ensure_ascii=False)
    except UnicodeDecodeError:
        return "command id is not valid UTF-8"


def main():
    port = int(sys.argv[1])
    job = json.load(sys.stdin)
    ids = [bytes.fromhex(i) for i in job["ids"]]
    tail = bytes.fromhex(job["tail"]) if job.get("tail") else b""
    sock = socket.create_connection(("127.0.0.1", port), timeout=25)
    after_fin = job.get("after_fin")
    sock.sendall(b"".join(frame(RUN, i) for i in ids) + tail)
    if after_fin is None:
        sock.shutdown(socket.SHUT_WR)
    reader = FrameReader(sock)
    replies = []
    stdout, stderr = b"", b""
    while True:
        payload = reader.read()
        if payload is None:
            break
        if not payload:
            continue  # a keepalive
        kind, data = payload[0], payload[1:]
        if kind == STDOUT:
            stdout += data
        elif kind == STDERR:
            stderr += data
        elif kind == EXIT:
            text = data.decode("utf-8")
            replies.append({"stdout": stdout.hex(), "stderr": stderr.hex(), "exit": parse_exit(data), "exit_raw": text})
            stdout, stderr = b"", b""
        elif kind == ERROR:
            if stdout or stderr:
                raise ValueError("an ERROR frame after output")
            replies.append({"error": data.decode("utf-8")})
        else:
            raise ValueError("unknown frame type 0x%02x" % kind)
    if stdout or stderr:
        raise ValueError("the server ended its side inside a reply")
    reset = False
    if after_fin is not None:
        try:
            for _ in range(0, after_fin, 16384):
                sock.sendall(b"z" * 16384)
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1)  # the end again, or a reset
        except (ConnectionResetError, BrokenPipeError):
            reset = True
    sock.close()
    report = {"replies": replies, "expected_errors": [expected_error(i) for i in ids], "fin": True, "reset": reset}
    print(json.dumps(report))


main()

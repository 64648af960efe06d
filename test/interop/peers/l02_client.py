"""A lesson 02 client, from lessons/02-sticky-packets/README.md ("Wire format") alone.

Usage: l02_client.py PORT, with a JSON job on stdin:
  {"requests": ["<hex of a request line, without 0x0A>", ...], "tail": "<hex>" or null,
   "after_fin": <n> (optional)}
It sends every request at once (pipelined), each followed by 0x0A, then the
tail (bytes without a 0x0A), then ends its side (FIN). It reads replies until
the server ends its side, and prints one JSON object:
  {"replies": [...], "expected_refusals": [...], "fin": true, "reset": false}
where expected_refusals holds, for each request, the text this client
computes for "unknown command <name>" (null if the request is not UTF-8).

With "after_fin", the client does not end its side first: it reads until
the server's FIN (which follows "request line longer than 4096 bytes"),
then sends n more bytes, then ends its side. The Wire format says the
server reads and ignores them: "reset" says whether a reset came instead.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from l02_wire import LineReader, quote, read_reply  # noqa: E402


def main():
    port = int(sys.argv[1])
    job = json.load(sys.stdin)
    requests = [bytes.fromhex(r) for r in job["requests"]]
    tail = bytes.fromhex(job["tail"]) if job.get("tail") else b""
    expected = []
    for r in requests:
        try:
            expected.append("unknown command " + quote(r.decode("utf-8")))
        except UnicodeDecodeError:
            expected.append(None)

    sock = socket.create_connection(("127.0.0.1", port), timeout=25)
    after_fin = job.get("after_fin")
    sock.sendall(b"".join(r + b"\n" for r in requests) + tail)
    if after_fin is None:
        sock.shutdown(socket.SHUT_WR)
    reader = LineReader(sock)
    replies = []
    while True:
        reply = read_reply(reader)
        if reply is None:
            break
        replies.append(reply)
    reset = False
    if after_fin is not None:
        try:
            for _ in range(0, after_fin, 16384):
                sock.sendall(b"y" * 16384)
            sock.shutdown(socket.SHUT_WR)
            reset = sock.recv(1) != b""  # the server already ended its side: recv sees the end again
        except (ConnectionResetError, BrokenPipeError):
            reset = True
    sock.close()
    print(json.dumps({"replies": replies, "expected_refusals": expected, "fin": True, "reset": reset}))


main()

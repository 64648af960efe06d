"""A lesson 02 command server, from lessons/02-sticky-packets/README.md ("Wire format") alone.

Usage: l02_server.py '<allowlist as JSON: {"name": ["/abs/program", "arg", ...]}>' ['<scripted>']
Listens on 127.0.0.1, port 0, prints the port on its first line, and serves
each connection in its own thread until it is killed. Commands run without
a shell, with the README's limits (5 s, 1 MiB per stream).

The optional second argument makes this a bad server on purpose, to test a
client's side of "What a client does": {"name": {"send": "<hex>", "after":
"fin" | "rst" | "stay"}} answers the request `name` with those bytes (which
need not be a valid reply), then ends its side (fin), resets the connection
(rst, SO_LINGER 0) or goes on reading (stay).
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from l02_wire import MAX_LINE, MAX_OUTPUT_LINE, LineReader, LineTooLong, quote  # noqa: E402

TIMEOUT_S = 5
MAX_OUTPUT = 1048576
IDLE_S = 30


def error_line(message):
    return b"error " + message.encode("utf-8") + b"\n"


def output_lines(tag, data):
    """Split at every 0x0A; a last piece without one is a line too; empty output gives no lines."""
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return [tag + p + b"\n" for p in pieces]


def answer(line, allowlist):
    try:
        name = line.decode("utf-8")  # strict: invalid bytes raise
    except UnicodeDecodeError:
        return error_line("request is not valid UTF-8")
    if name not in allowlist:
        return error_line("unknown command " + quote(name))
    try:
        done = subprocess.run(
            allowlist[name], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return error_line("timed out after %d ms" % (TIMEOUT_S * 1000))
    except OSError as e:
        code = {2: "ENOENT", 13: "EACCES"}.get(e.errno, "E%d" % (e.errno or 0))
        return error_line("could not start (%s)" % code)
    # The README kills a command as soon as it passes the limit; this peer
    # checks once the command has ended, which sends the same bytes.
    if len(done.stdout) > MAX_OUTPUT or len(done.stderr) > MAX_OUTPUT:
        return error_line("output larger than %d bytes" % MAX_OUTPUT)
    if done.returncode < 0:
        return error_line("killed by " + signal.Signals(-done.returncode).name)
    lines = output_lines(b"out ", done.stdout) + output_lines(b"err ", done.stderr)
    if any(len(l) - 5 > MAX_OUTPUT_LINE for l in lines):
        return error_line("output line longer than %d bytes" % MAX_OUTPUT_LINE)
    return b"".join(lines) + b"exit %d\n" % done.returncode


def serve(conn, allowlist, scripted):
    conn.settimeout(IDLE_S)
    reader = LineReader(conn)
    try:
        while True:
            try:
                line = reader.read_line()
            except LineTooLong:
                conn.sendall(error_line("request line longer than %d bytes" % MAX_LINE))
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):  # read and ignore the rest: no reset
                    pass
                return
            except EOFError:
                conn.sendall(error_line("request ended without 0x0A"))
                conn.shutdown(socket.SHUT_WR)
                return
            if line is None:  # the client ended its side between lines
                conn.shutdown(socket.SHUT_WR)
                return
            script = scripted.get(line.decode("utf-8", "replace"))
            if script is None:
                conn.sendall(answer(line, allowlist))
                continue
            conn.sendall(bytes.fromhex(script["send"]))
            if script["after"] == "rst":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return  # close() below now sends a reset
            if script["after"] == "fin":
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):  # wait for the client to close
                    pass
                return
    except OSError:  # a reset, or the idle timeout (socket.timeout is an OSError)
        pass
    finally:
        conn.close()


def main():
    allowlist = json.loads(sys.argv[1])
    scripted = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    print(server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, allowlist, scripted), daemon=True).start()


main()

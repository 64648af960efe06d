"""A lesson 02 command server, from lessons/02-sticky-packets/README.md ("Wire format") alone.

Usage: l02_server.py '<allowlist as JSON: {"name": ["/abs/program", "arg", ...]}>'
Listens on 127.0.0.1, port 0, prints the port on its first line, and serves
each connection in its own thread until it is killed. Commands run without
a shell, with the README's limits (5 s, 1 MiB per stream).
"""
import json
import os
import signal
import socket
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


def serve(conn, allowlist):
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
            conn.sendall(answer(line, allowlist))
    except OSError:  # a reset, or the idle timeout (socket.timeout is an OSError)
        pass
    finally:
        conn.close()


def main():
    allowlist = json.loads(sys.argv[1])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    print(server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, allowlist), daemon=True).start()


main()

"""A lesson 03 command server, from lessons/03-struct-framing/README.md ("Wire format") alone.

Usage: l03_server.py '<allowlist as JSON: {"id": ["/abs/program", "arg", ...]}>' ['<scripted>']
Listens on 127.0.0.1, port 0, prints the port on its first line, and serves
each connection in its own thread until it is killed. Requests on one
connection are answered one at a time; commands run without a shell, with
the README's default limits (10 s, 16 MiB of output).

The optional second argument makes this a bad server on purpose, to test a
client against replies it must refuse: {"id": {"send": "<hex>", "after":
"fin" | "rst" | "stay"}} answers RUN id with those raw bytes, then ends its
side (fin), resets the connection (rst, SO_LINGER 0) or goes on (stay).
"""
import json
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from l03_wire import ERROR, EXIT, MAX_ID, RUN, STDERR, STDOUT, FrameError, FrameReader, exit_json, frame  # noqa: E402

TIMEOUT_S = 10
MAX_OUTPUT = 16 * 1024 * 1024
IDLE_S = 60


def run(conn, argv):
    """Streams one command's output as STDOUT/STDERR frames, then sends EXIT (or ERROR)."""
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        conn.sendall(frame(ERROR, ("could not run the command: %s" % e).encode("utf-8")))
        return
    chunks = queue.Queue()
    state = {"reason": None}

    def pump(stream, kind):
        while True:
            data = os.read(stream.fileno(), 65535)  # at most 65,535 bytes: one frame
            if not data:
                break
            chunks.put((kind, data))
        chunks.put((kind, None))

    def kill(why):
        if state["reason"] is None:
            state["reason"] = why
        child.kill()

    for stream, kind in ((child.stdout, STDOUT), (child.stderr, STDERR)):
        threading.Thread(target=pump, args=(stream, kind), daemon=True).start()
    timer = threading.Timer(TIMEOUT_S, kill, args=("timeout",))
    timer.start()
    sent, open_streams = 0, 2
    while open_streams:
        kind, data = chunks.get()
        if data is None:
            open_streams -= 1
            continue
        if state["reason"] == "output-limit":
            continue  # past the cap: drop the rest
        room = MAX_OUTPUT - sent
        if len(data) > room:
            data = data[:room]
            kill("output-limit")
        sent += len(data)
        if data:
            conn.sendall(frame(kind, data))
    child.wait()
    timer.cancel()
    code, sig = child.returncode, None
    if code < 0:
        code, sig = None, signal.Signals(-code).name
    conn.sendall(frame(EXIT, exit_json(code, sig, state["reason"]).encode("utf-8")))


def hang_up(conn, text):
    """The ERROR frame, a FIN, then read and drop the rest (so no reset)."""
    conn.sendall(frame(ERROR, text.encode("utf-8")))
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(65536):
        pass


def hang_up_quietly(conn):
    """A FIN with nothing before it, then wait for the client to close."""
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(65536):
        pass


def serve(conn, allowlist, scripted):
    conn.settimeout(IDLE_S)
    reader = FrameReader(conn)
    try:
        while True:
            try:
                payload = reader.read()
            except FrameError as e:
                return hang_up(conn, str(e))
            if payload is None:  # the client ended its side between frames
                conn.shutdown(socket.SHUT_WR)
                return
            if not payload:
                continue  # a keepalive
            if payload[0] != RUN:
                return hang_up(conn, "frame type 0x%02x is not a request (0x00 RUN)" % payload[0])
            id_bytes = payload[1:]
            if not 1 <= len(id_bytes) <= MAX_ID:
                conn.sendall(frame(ERROR, b"command id must be 1 to %d bytes, got %d" % (MAX_ID, len(id_bytes))))
                continue
            try:
                name = id_bytes.decode("utf-8")  # strict
            except UnicodeDecodeError:
                conn.sendall(frame(ERROR, b"command id is not valid UTF-8"))
                continue
            script = scripted.get(name)
            if script is not None:
                conn.sendall(bytes.fromhex(script["send"]))
                if script["after"] == "rst":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return  # close() below now sends a reset
                if script["after"] == "fin":
                    return hang_up_quietly(conn)
                continue
            if name not in allowlist:
                text = "unknown command " + json.dumps(name, ensure_ascii=False)
                conn.sendall(frame(ERROR, text.encode("utf-8")))
                continue
            run(conn, allowlist[name])
    except OSError:  # a reset, or the idle timeout
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

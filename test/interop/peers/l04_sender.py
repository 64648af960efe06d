"""Lesson 04 sender, written from lessons/04-file-transfer/README.md "Wire format" alone.

Usage: l04_sender.py HOST PORT FILE NAME [--half-close] [--header-json TEXT | --header-hex HEX] [--body-bytes N]

Sends the header frame and the body, reads the verdict frame while it
sends, and prints the verdict's JSON text on one line. --half-close sends
a FIN after the last body byte. --header-json sends TEXT as the header
payload instead of the one built from the file (for refusal tests);
--header-hex sends the bytes HEX stands for (any bytes, UTF-8 or not).
--body-bytes N sends only the first N body bytes (for a short body).
Exit status: 0 for an ok verdict, 1 for a refusal, 2 for a broken peer.
"""
import hashlib
import json
import socket
import struct
import sys
import threading

MAX_VERDICT = 4096


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def encode(value: dict) -> bytes:
    # The README: JSON.stringify's bytes; Python's json.dumps with these options writes the same.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_frame(sock: socket.socket, limit: int) -> bytes:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError(f"the connection ended after {len(data)} of {n} bytes")
            data += chunk
        return data

    (length,) = struct.unpack(">I", exactly(4))
    if length > limit:
        raise ValueError(f"a verdict frame of {length} bytes is over {limit}")
    return exactly(length)


def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise ValueError("a member name occurs twice")
    return dict(pairs)


def main() -> int:
    args = sys.argv[1:]
    half_close = "--half-close" in args
    header_json = None
    if "--header-json" in args:
        i = args.index("--header-json")
        header_json = args[i + 1]
        del args[i : i + 2]
    if "--header-hex" in args:
        i = args.index("--header-hex")
        header_json = bytes.fromhex(args[i + 1])
        del args[i : i + 2]
    body_bytes = None
    if "--body-bytes" in args:
        i = args.index("--body-bytes")
        body_bytes = int(args[i + 1])
        del args[i : i + 2]
    args = [a for a in args if a != "--half-close"]
    host, port, path, name = args[0], int(args[1]), args[2], args[3]

    with open(path, "rb") as f:
        body = f.read()
    if header_json is None:
        header = encode({"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()})
    else:
        header = header_json if isinstance(header_json, bytes) else header_json.encode("utf-8")

    sent = body if body_bytes is None else body[:body_bytes]
    sock = socket.create_connection((host, port), timeout=10)
    verdict = {}

    def read_verdict() -> None:
        try:
            verdict["payload"] = read_frame(sock, MAX_VERDICT)
        except Exception as error:  # noqa: BLE001 - reported below
            verdict["error"] = error

    reader = threading.Thread(target=read_verdict)
    reader.start()  # the verdict may come mid-body (a refusal): read while sending
    try:
        sock.sendall(frame(header))
        for start in range(0, len(sent), 65536):
            if "payload" in verdict:
                break  # refused: stop sending
            sock.sendall(sent[start : start + 65536])
        if half_close:
            sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the receiver may close after a refusal; its verdict is what counts
    reader.join(10)
    sock.close()
    if "payload" not in verdict:
        print(f"no verdict: {verdict.get('error')}", file=sys.stderr)
        return 2
    text = verdict["payload"].decode("utf-8")
    value = json.loads(text, object_pairs_hook=no_duplicates)
    print(text)
    return 0 if value.get("ok") is True else 1


if __name__ == "__main__":
    sys.exit(main())

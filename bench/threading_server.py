"""The tutorials' concurrent server, for `npm run bench concurrency`.

A socketserver.ThreadingTCPServer (one thread per client) that sends back
what it receives in upper case, as in the seed tutorial, without its
time.sleep(1): the benchmark measures threading, not sleeping. It also
answers the shout protocol's `HASH <secret>` line (lessons/06-concurrent-
servers/README.md, Wire format) so that the "one client asks for heavy work"
run means the same thing for every server.

Usage: python3 threading_server.py BACKLOG ITERATIONS
Prints the port it listens on (127.0.0.1), then serves until killed.
Standard library only.
"""
import hashlib
import socketserver
import sys


class Shout(socketserver.BaseRequestHandler):
    iterations = 100_000

    def handle(self):
        pending = b""
        while True:
            try:
                data = self.request.recv(1024)
            except ConnectionError:
                return
            if not data:
                return
            pending += data
            # The seed sends back each recv() chunk upper-cased. The load
            # client sends one line and waits for its reply, so a chunk is
            # a line here; HASH lines need the whole line, so split on 0a.
            replies = []
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.startswith(b"HASH "):
                    digest = hashlib.pbkdf2_hmac("sha256", line[5:], b"lesson-06", self.iterations, 32)
                    replies.append(digest.hex().encode("ascii") + b"\n")
                else:
                    replies.append(line.upper() + b"\n")
            try:
                self.request.sendall(b"".join(replies))
            except ConnectionError:
                return


def main():
    backlog = int(sys.argv[1])
    Shout.iterations = int(sys.argv[2])

    class Server(socketserver.ThreadingTCPServer):
        request_queue_size = backlog  # socketserver's default is 5
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", 0), Shout) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()

# Runs a command on a pseudo-terminal, as if a person typed at it: bytes on
# this script's stdin go to the terminal, the terminal's output comes out on
# stdout, and the exit code is the command's. Used by watch.test.ts to test
# raw-mode keys. Standard library only.
import os
import pty
import select
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

stdin_open = True
while True:
    readable = [fd] + ([0] if stdin_open else [])
    ready, _, _ = select.select(readable, [], [], 30)
    if not ready:
        break
    if 0 in ready:
        data = os.read(0, 1024)
        if data:
            os.write(fd, data)
        else:
            stdin_open = False
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the command exited and closed the terminal
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))

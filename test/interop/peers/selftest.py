"""Self-test of the interop harness: prints its arguments, then echoes stdin."""
import sys

print(" ".join(sys.argv[1:]))
sys.stdout.write(sys.stdin.read() if not sys.stdin.isatty() else "")

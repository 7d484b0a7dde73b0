#!/usr/bin/python3
"""Sends one QMP command to a QEMU monitor socket and prints QEMU's answer.

Usage: qmp-command.py SOCKET JSON-COMMAND
Exit status 0 if QEMU answered with "return", 1 otherwise.  Standard library only.
"""
import json
import socket
import sys


def main():
    path, command = sys.argv[1], json.loads(sys.argv[2])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        replies = sock.makefile("r")

        def answer():
            # Events may come first; the answer is the first line with return or error.
            for line in replies:
                msg = json.loads(line)
                if "return" in msg or "error" in msg:
                    return msg
            raise EOFError("QEMU closed the monitor")

        json.loads(replies.readline())                  # the greeting
        sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        answer()
        sock.sendall(json.dumps(command).encode() + b"\n")
        msg = answer()
        print(json.dumps(msg))
        return 0 if "return" in msg else 1


if __name__ == "__main__":
    sys.exit(main())

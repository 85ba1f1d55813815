#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in for systemd's notification socket: binds SOCKET (datagram) and
# appends every message it receives, one field per line prefixed with the
# milliseconds since start, to OUT until killed.
import socket, sys, time

sock_path, out_path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
t0 = time.monotonic()
with open(out_path, "a", buffering=1) as out:
    print("listening", file=out)
    while True:
        msg = s.recv(65536).decode(errors="replace")
        ms = int((time.monotonic() - t0) * 1000)
        for field in msg.split("\n"):
            if field:
                print(f"{ms} {field}", file=out)

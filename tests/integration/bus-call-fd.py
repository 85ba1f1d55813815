#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Calls on the VM object that pass fds, opened here (as whoever runs us):
#   bus-call-fd.py ADDRESS DEST METHOD KIND [PATH]
#       METHOD(h) with one fd of KIND (Save)
#   bus-call-fd.py ADDRESS DEST AttachDevice XML [KIND[:PATH]]...
#       AttachDevice(s xml, ah fds) with one fd per KIND given (none: an
#       empty array)
# KIND: "write" (PATH opened O_WRONLY|O_CREAT), "read" (O_RDONLY), "rdwr"
# (O_RDWR), "opath" (O_PATH), "pipe" (the write end of a pipe, PATH
# unused). Prints "ok", or "Error NAME: message" like dbus-send (busctl
# shows no names).
import os, sys
import dbus


def open_fd(kind, path):
    if kind == "write":
        return os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    if kind == "read":
        return os.open(path, os.O_RDONLY)
    if kind == "rdwr":
        return os.open(path, os.O_RDWR)
    if kind == "opath":
        return os.open(path, os.O_PATH)
    return os.pipe()[1]


address, dest, method = sys.argv[1:4]
if method == "AttachDevice":
    specs = [a.partition(":") for a in sys.argv[5:]]
    args = [sys.argv[4],
            dbus.Array([dbus.types.UnixFd(open_fd(k, p)) for k, _, p in specs], signature="h")]
else:
    args = [dbus.types.UnixFd(open_fd(sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None))]
bus = dbus.bus.BusConnection(address)
obj = bus.get_object(dest, "/org/vmunit/vm")
try:
    obj.get_dbus_method(method, "org.vmunit.VM1")(*args, timeout=600)
    print("ok")
except dbus.exceptions.DBusException as e:
    print(f"Error {e.get_dbus_name()}: {e.get_dbus_message()}")

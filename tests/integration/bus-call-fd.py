#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# bus-call-fd.py ADDRESS DEST METHOD KIND [PATH]: call METHOD(h) on the VM
# object with an fd of KIND: "write" (PATH opened O_WRONLY|O_CREAT),
# "read" (PATH read-only), "pipe" (the write end of a pipe). Prints the
# reply, or "Error NAME: message" like dbus-send (busctl shows no names).
import os, sys
import dbus

address, dest, method, kind = sys.argv[1:5]
path = sys.argv[5] if len(sys.argv) > 5 else None
if kind == "write":
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
elif kind == "read":
    fd = os.open(path, os.O_RDONLY)
else:
    fd = os.pipe()[1]
bus = dbus.bus.BusConnection(address)
obj = bus.get_object(dest, "/org/vmunit/vm")
try:
    reply = obj.get_dbus_method(method, "org.vmunit.VM1")(dbus.types.UnixFd(fd), timeout=600)
    print("ok")
except dbus.exceptions.DBusException as e:
    print(f"Error {e.get_dbus_name()}: {e.get_dbus_message()}")

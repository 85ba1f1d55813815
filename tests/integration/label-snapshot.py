#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Print everything the label library may change, one line per item, so
two snapshots compare with diff: per file its owner, mode, ACL xattr and
trusted.* xattrs; the SELinux shim's contexts and records (by inode);
the MCS reservations.

    label-snapshot.py SHIM_DIR MCS_DIR FILE...
"""
import os
import sys


def xattrs(path):
    out = []
    try:
        names = os.listxattr(path)
    except OSError:
        names = []
    for n in sorted(names):
        if n.startswith("trusted.") or n == "system.posix_acl_access":
            try:
                out.append("%s=%s" % (n, os.getxattr(path, n).hex()))
            except OSError as e:
                out.append("%s=<%s>" % (n, e.strerror))
    return out


def tree(kind, d, implied=None):
    """Every file of d; one whose content is implied (the shim's default
    context, which a file without an entry has too) counts as absent."""
    if not d or not os.path.isdir(d):
        return
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                data = f.read()
            if data != implied:
                print("%s %s %s" % (kind, name, data.hex()))


def main():
    shim, mcs, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    for path in files:
        st = os.stat(path)
        print("file %s %d:%d:%o ino=%d %s" % (path, st.st_uid, st.st_gid, st.st_mode & 0o7777, st.st_ino,
                                              " ".join(xattrs(path))))
    default = None
    if os.path.exists(os.path.join(shim, "default-filecon")):
        with open(os.path.join(shim, "default-filecon"), "rb") as f:
            default = f.read().rstrip(b"\n")
    tree("shim-filecon", os.path.join(shim, "filecon"), default)
    tree("shim-xattr", os.path.join(shim, "xattr"))
    tree("mcs", mcs)


main()

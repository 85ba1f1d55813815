#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placeholder until written.
echo "not written yet"
exit 77

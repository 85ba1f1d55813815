#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fail if any C file differs from what .clang-format says.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || exit 0
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"

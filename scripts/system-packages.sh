#!/usr/bin/env bash
# Install the Debian packages cskpi uses, when they are missing and we may (root + apt-get).
#   scripts/system-packages.sh run    a CJK font for PDF reports
#   scripts/system-packages.sh test   + poppler-utils and LibreOffice Calc for the report tests,
#                                     chromium for the browser tests
# Without apt-get or root it only says what is missing: the features that need a package
# then fail with a clear message (and their tests skip, naming the package).
set -euo pipefail
packages=(fonts-wqy-microhei)
if [ "${1:-run}" = "test" ]; then
  packages+=(poppler-utils libreoffice-calc chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing system packages (install them with apt-get): ${missing[*]}" >&2
fi

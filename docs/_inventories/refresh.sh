#!/usr/bin/env bash
# Refresh the vendored intersphinx inventories (see README.md here). Needs apt-get and dpkg-deb,
# and access to Debian's package archive; the docs build itself never needs the network.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q \
    python3.11-doc python-aiohttp-doc python-attr-doc python-cattrs-doc python-yarl-doc)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/tree"; done
docs="$work/tree/usr/share/doc"
cp "$docs/python3.11/html/objects.inv" python.inv
cp "$docs/python-aiohttp-doc/html/objects.inv" aiohttp.inv
cp "$docs/python-attr-doc/html/objects.inv" attrs.inv
cp "$docs/python-cattrs-doc/html/objects.inv" cattrs.inv
cp "$docs/python-yarl-doc/html/objects.inv" yarl.inv
for inv in *.inv; do printf '%s  ' "$inv"; head -c 200 "$inv" | sed -n 2,3p | tr '\n' ' '; echo; done

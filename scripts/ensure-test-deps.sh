#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (tshark to check our captures, scapy to check
# the builder's scapy expressions and send ARP probes, iproute2 and ethtool for the AF_PACKET
# namespace tests, nftables for the daemon's takeover, nginx, curl, ping and socat for the
# end-to-end tests' real servers, client and management service).
# Runs as the `pretest` step; does nothing when everything is already present.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# ethtool lives in /usr/sbin, which a non-root PATH may lack.
{ command -v ethtool || [ -x /usr/sbin/ethtool ] || [ -x /sbin/ethtool ]; } >/dev/null 2>&1 || need+=(ethtool)
# nginx lives in /usr/sbin too.
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || need+=(nginx)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v socat >/dev/null 2>&1 || need+=(socat)
# nft lives in /usr/sbin too; the daemon's takeover runs it (src/drivers/nft-takeover.ts).
{ command -v nft || [ -x /usr/sbin/nft ] || [ -x /sbin/nft ]; } >/dev/null 2>&1 || need+=(nftables)
{ command -v ping || [ -x /usr/bin/ping ] || [ -x /bin/ping ]; } >/dev/null 2>&1 || need+=(iputils-ping)
# A pyenv python3 may shadow Debian's, which is where python3-scapy lands.
{ python3 -c 'import scapy' || /usr/bin/python3 -c 'import scapy'; } >/dev/null 2>&1 || need+=(python3-scapy)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-test-deps: missing ${need[*]} and not root; tests that need them will fail or skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-test-deps: installing ${need[*]}" >&2
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (tshark to check our captures, scapy to check
# the builder's scapy expressions, iproute2 and ethtool for the AF_PACKET namespace tests, nginx,
# curl, ping and wrk for the end-to-end tests' real servers and client, socat and nftables for
# the kernel ipvs selftest's check and the tunnel servers, prometheus to scrape the daemon's
# /metrics: the test runs the binary itself, the package's system service is never started,
# openssl for a test certificate, trafgen (netsniff-ng) for the end-to-end bench's smoke test,
# keepalived as the VRRP interop peer: the tests run the binary by PID, its service never starts).
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
# socat: the kernel ipvs selftest's check and the takeover test's management service.
command -v socat >/dev/null 2>&1 || need+=(socat)
# nft lives in /usr/sbin too; the daemon's takeover runs it (src/drivers/nft-takeover.ts), the tunnel
# servers drop the outer IPIP packets with it.
{ command -v nft || [ -x /usr/sbin/nft ] || [ -x /sbin/nft ]; } >/dev/null 2>&1 || need+=(nftables)
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/sbin/keepalived ] || need+=(keepalived)
# openssl makes the self-signed certificate the keepalived SSL_GET checker test serves.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
{ command -v ping || [ -x /usr/bin/ping ] || [ -x /bin/ping ]; } >/dev/null 2>&1 || need+=(iputils-ping)
# The end-to-end tests' load tool; trafgen: the end-to-end bench's generator.
{ command -v trafgen || [ -x /usr/sbin/trafgen ]; } >/dev/null 2>&1 || need+=(netsniff-ng)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
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
# Packages with a service (nginx, prometheus, keepalived) must not start it: the tests run their own copies by
# PID. Debian's policy-rc.d hook (exit 101 = "not allowed") does that, unless one exists already.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

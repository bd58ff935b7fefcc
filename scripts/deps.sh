#!/usr/bin/env bash
# Installs what the tests need on a Debian machine that has Go and gcc:
# the real SIP peers of internal/peers (sipp, kamailio, baresip) and the Go
# modules. Idempotent, and quiet when everything is already there.
#
# As root it installs missing Debian packages with apt-get. As another user
# it only says which tests will skip (run `sudo make deps` to install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# binary -> Debian package
declare -A package_of=([sipp]=sip-tester [kamailio]=kamailio [baresip]=baresip [linphonec]=linphone-cli)

# have BIN: on PATH or in an sbin directory (Debian puts kamailio in
# /usr/sbin, which a non-root PATH often lacks).
have() {
	command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /usr/local/sbin/$1 || -x /sbin/$1 ]]
}

missing_bins=()
missing_pkgs=()
for bin in sipp kamailio baresip linphonec; do
	if ! have "$bin"; then
		missing_bins+=("$bin")
		missing_pkgs+=("${package_of[$bin]}")
	fi
done
# The GUI (make gui, the -tags gui tests): cgo and the X11/GL/ALSA headers
# ebiten builds against, and Xvfb, xauth and xdotool to run and drive it
# without a screen. Checked by Debian package, as most are headers only.
gui_pkgs=(gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxi-dev libxinerama-dev
	libxrandr-dev libxxf86vm-dev libasound2-dev xvfb xauth xdotool)
if command -v dpkg-query >/dev/null 2>&1; then
	for pkg in "${gui_pkgs[@]}"; do
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			missing_pkgs+=("$pkg")
		fi
	done
fi
# The web pages' browser tests (webui, chromedp) and `make screenshot`'s
# Action URL page drive Debian's chromium, headless.
web_pkgs=(chromium)
if command -v dpkg-query >/dev/null 2>&1; then
	for pkg in "${web_pkgs[@]}"; do
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			missing_pkgs+=("$pkg")
		fi
	done
fi
# `go mod download` fetches over HTTPS: a minimal Debian image lacks CA
# certificates.
if [[ ! -s /etc/ssl/certs/ca-certificates.crt ]]; then
	missing_pkgs+=(ca-certificates)
fi

if ((${#missing_pkgs[@]} > 0)); then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing ${missing_pkgs[*]}"
		# Keep the packages' services (a system-wide kamailio on :5060)
		# from starting: invoke-rc.d and deb-systemd-invoke ask
		# policy-rc.d, and 101 means "action forbidden".
		policy=/usr/sbin/policy-rc.d
		if [[ ! -e $policy ]]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy"
			chmod 755 "$policy"
			trap 'rm -f "$policy"' EXIT
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
		for bin in "${missing_bins[@]}"; do
			have "$bin" || { echo "deps: $bin still missing after installing ${package_of[$bin]}" >&2; exit 1; }
		done
	elif ((${#missing_bins[@]} > 0)); then
		echo "deps: not installed: ${missing_bins[*]} (Debian packages: ${missing_pkgs[*]})."
		echo "deps: the tests that run these real SIP peers (internal/peers and the integration"
		echo "deps: tests against SIPp/Kamailio/baresip) will SKIP; with CI=true they FAIL."
		echo "deps: without the GUI packages, make gui and the -tags gui tests cannot build."
		echo "deps: without chromium the web pages' browser tests SKIP (with CI=true they FAIL)."
		echo "deps: install them as root: sudo make deps"
	else
		echo "deps: missing ${missing_pkgs[*]}; install as root: sudo make deps" >&2
	fi
fi

go mod download

#!/usr/bin/env bash
# Debian packages the suite needs: OpenCL on the CPU (PoCL), clang and lld (the Wasm canisters of kernels/requests), the PDF toolchain (XeLaTeX, pandoc), Chromium for the
# JupyterLab browser test (Playwright drives it; its own browser download cannot work here), plus
# python3-venv where the system Python lacks it. Idempotent and quiet when everything is there. As root it
# installs what is missing; otherwise it prints the command to run and carries on (those parts of the suite
# then report themselves unavailable).
set -euo pipefail
packages=(pocl-opencl-icd ocl-icd-libopencl1 clang lld texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc chromium)
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "run as root:  $cmd" >&2
  echo "continuing: OpenCL and/or the PDF export will report themselves unavailable" >&2
fi

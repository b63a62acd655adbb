#!/bin/sh
# Installs the celery-patterns server and its runtime dependencies into bundled/ for one VS Code
# target platform, once per CPython minor version (bundled/libs/cp310, cp311, ...), for the
# `useBundled` import strategy and the fallback of `fromEnvironment`.
#
#   UV=/path/to/uv scripts/bundle-python.sh PYTHON SOURCE TARGET CACHE VERSION...
#
# SOURCE is a built celery_patterns wheel, or the repository root to build one from. TARGET is a
# VS Code target (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64). CACHE is uv's
# download cache. libcst and pyyaml have compiled extensions, hence one folder per version;
# bundled/bundle.json records the target and versions, and the extension checks them against
# the interpreter before it uses the bundle.
#
# The wheels are chosen by uv for the target, not by `pip download --platform --python-version`:
# pip evaluates environment markers for the Python it runs under, so a bundle for 3.10 made with
# pip on 3.11 would lack tomli and exceptiongroup, and one for 3.13 would get pyyaml instead of
# the pyyaml-ft that libcst asks for there.
set -eu
python=$1
source=$2
target=$3
cache=$4
shift 4
uv=${UV:-uv}
out=bundled

# glibc 2.28 is what VS Code itself needs on Linux (since 1.86); macOS 11 since VS Code 1.98.
case $target in
  linux-x64) platform=x86_64-manylinux_2_28 ;;
  linux-arm64) platform=aarch64-manylinux_2_28 ;;
  darwin-x64) platform=x86_64-apple-darwin ;;
  darwin-arm64) platform=aarch64-apple-darwin ;;
  win32-x64) platform=x86_64-pc-windows-msvc ;;
  *) echo "bundle-python.sh: no wheels are bundled for target $target" >&2; exit 2 ;;
esac
export MACOSX_DEPLOYMENT_TARGET=11.0

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM

if [ -d "$source" ]; then
  # Built from a clean copy of the Python sources, so that no build/ or *.egg-info is left in
  # the work tree.
  extra=""
  for f in README.md LICENSE LICENSE.txt LICENSE.md; do
    [ -f "$source/$f" ] && extra="$extra $f"
  done
  mkdir "$stage/src"
  # shellcheck disable=SC2086
  tar -C "$source" --exclude='__pycache__' --exclude='*.egg-info' --exclude='*.pyc' \
    -cf - pyproject.toml server $extra | tar -C "$stage/src" -xf -
  "$python" -m pip wheel --quiet --no-deps --disable-pip-version-check --wheel-dir "$stage" "$stage/src"
  wheel=$(ls "$stage"/celery_patterns-*.whl)
else
  wheel=$source
fi
server_version=$(basename "$wheel" | cut -d- -f2)

rm -rf "$out"
mkdir -p "$out/libs"
for version in "$@"; do
  folder="$out/libs/cp$(echo "$version" | tr -d .)"
  UV_CACHE_DIR=$cache "$uv" pip install --quiet --python "$python" --target "$folder" \
    --python-platform "$platform" --python-version "$version" --only-binary :all: "$wheel"
  # Console scripts carry this machine's interpreter path in their #! line: useless in a .vsix.
  # The libraries' test suites (libcst has 13) are never imported. uv writes no __pycache__.
  rm -rf "$folder/bin"
  find "$folder" -type d -name tests -prune -exec rm -rf {} +
done

"$python" - "$out/bundle.json" "$target" "$platform" "$server_version" "$@" <<'EOF'
import json, sys
out, target, platform, server, *versions = sys.argv[1:]
with open(out, "w") as f:
    json.dump({"target": target, "pythonPlatform": platform, "pythons": versions, "server": server}, f, indent=2)
    f.write("\n")
EOF
echo "bundled celery-patterns $server_version into $out/libs for $target, CPython $*"

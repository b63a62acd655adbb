#!/bin/sh
# Installs the celery-patterns server and its runtime dependencies into bundled/libs, for the
# `useBundled` import strategy and the fallback of `fromEnvironment`.
#
#   scripts/bundle-python.sh PYTHON REPO_ROOT
#
# The install is a real (not editable) one, made from a clean copy of the repository's Python
# sources so that no build/ or *.egg-info is left in the work tree. libcst has a compiled
# extension, so the result only runs on this platform and this Python minor version:
# bundled/bundle.json records which, and the extension checks it before using the bundle.
set -eu
python=$1
root=$2
out=bundled
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM

extra=""
for f in README.md LICENSE LICENSE.txt LICENSE.md; do
  [ -f "$root/$f" ] && extra="$extra $f"
done
# shellcheck disable=SC2086
tar -C "$root" --exclude='__pycache__' --exclude='*.egg-info' --exclude='*.pyc' \
  -cf - pyproject.toml server $extra | tar -C "$stage" -xf -

rm -rf "$out"
"$python" -m pip install --quiet --no-compile --disable-pip-version-check \
  --target "$out/libs" "$stage"
# Console scripts carry this machine's interpreter path in their #! line: useless in a .vsix.
rm -rf "$out/libs/bin"
"$python" -c '
import json, sys, sysconfig
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "soabi": sysconfig.get_config_var("SOABI"),
    "platform": sysconfig.get_platform(),
}, indent=2))
' > "$out/bundle.json"
echo "bundled celery-patterns into $out/libs for $(cat "$out/bundle.json" | tr -d '\n ')"

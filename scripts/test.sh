#!/usr/bin/env bash
# Installs what digitnet's tests need, then runs them all: lint, format, types, import layers,
# pytest (unit, CLI, data downloads against a local server, and the browser tests in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# Fashion-MNIST in IDX files, to test that any MNIST-format dataset loads.
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 \
  || need_apt+=(dataset-fashion-mnist)
# Handwriting fonts, for the synthetic "handwriting fonts" digits (the list lives in the code).
mapfile -t font_packages < <(python3 -c '
import ast
tree = ast.parse(open("src/digitnet/synthetic/fonts.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "HANDWRITING_PACKAGES":
        print("\n".join(ast.literal_eval(node.value)))
')
for package in "${font_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

python3 -m pip install -q -e '.[test]'

echo "== ruff check"; ruff check .
echo "== ruff format --check"; ruff format --check .
echo "== mypy"; mypy
echo "== lint-imports (the layers of docs/architecture.md)"; lint-imports
echo "== API reference from the docstrings (pdoc)"; python3 scripts/api_docs.py build/api
echo "== pytest"; python3 -m pytest -q -p no:cacheprovider "$@"

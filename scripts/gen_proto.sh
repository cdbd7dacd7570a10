#!/usr/bin/env bash
# Generate Python gRPC stubs from proto/ into shared/gen/ (or $1), imports rewritten to shared.gen.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/shared/gen}"
py="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"
"$py" -m grpc_tools.protoc -I "$root/proto" \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  "$root"/proto/oncall/v1/*.proto
# grpc_tools emits "from oncall.v1 import x_pb2"; make them package-absolute.
find "$out/oncall" -name '*.py' -o -name '*.pyi' | while read -r f; do
  sed -i 's/^from oncall\.v1 import/from shared.gen.oncall.v1 import/' "$f"
done
for d in "$out" "$out/oncall" "$out/oncall/v1"; do touch "$d/__init__.py"; done

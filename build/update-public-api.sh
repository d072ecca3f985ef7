#!/usr/bin/env bash
# Rewrites the packed projects' PublicAPI.Shipped.txt from their code, after a deliberate change of the public API:
# the analyzer's own code fix lists every public symbol; review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in Transforms Slides Trainers; do
  dir=src/$project
  printf '#nullable enable\n' > "$dir/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
  dotnet format analyzers "$dir/Amil.MLNet.$project.csproj" --diagnostics RS0016 RS0017 --severity info -v q
  { printf '#nullable enable\n'; grep -v '^#nullable' "$dir/PublicAPI.Unshipped.txt" | LC_ALL=C sort; } > "$dir/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
done

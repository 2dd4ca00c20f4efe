#!/usr/bin/env bash
# `npm test`: everything CI runs. Installs what is missing, checks types and module boundaries,
# then runs unit, integration and end-to-end tests against real PostgreSQL, Redis, Kafka and SMTP.
# Where the infrastructure comes from is decided by libs/testing (env vars, else Testcontainers,
# else the local processes of infra/up.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing dependencies (npm install, pinned by package-lock.json)"
  npm install --no-audit --no-fund
fi

mkdir -p tmp
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint (module boundaries)"
# The boundary rule reads Nx's project graph: compute it first (no daemon in CI).
NX_DAEMON=false NX_NO_CLOUD=true npx nx show projects >/dev/null
npx eslint apps libs tools --max-warnings=0
echo "== build"
node tools/build.js

status=0
echo "== unit tests"
# --forceExit: a timer a spec forgets must fail nothing and hang nothing (CI would wait until its limit);
# specs still clean up after themselves (`--detectOpenHandles` finds what they forget).
npx jest --selectProjects unit --forceExit --json --outputFile=tmp/jest-unit.json "$@" || status=$?
echo "== integration and end-to-end tests (real PostgreSQL, Redis, Kafka, SMTP)"
npx jest --selectProjects integration e2e --runInBand --forceExit --json --outputFile=tmp/jest-int.json "$@" || status=$?

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of ["tmp/jest-unit.json", "tmp/jest-int.json"]) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (passed === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit $status

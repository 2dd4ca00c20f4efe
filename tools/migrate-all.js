#!/usr/bin/env node
// `npm run migrate [-- <service>...]`: applies every service's pending migrations, one service at
// a time, with `node dist/apps/<app>/src/migrate.js` (building dist/ first when it is missing).
// The services and their databases come from the service list (libs/contracts/src/services.ts);
// each one's DATABASE_URL is DATABASE_URL_BASE (default postgres://postgres@127.0.0.1:5432, or what
// `eval "$(infra/up.sh)"` exported) + /tally_<database>, as `npm start` gives it. Services also
// migrate at start (under an advisory lock); this is for doing it ahead, by hand or in a deploy.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, findService, loadServices, localEnv } = require('./services');

function main(argv) {
  const all = loadServices();
  // A worker shares its service's code, database and migrate.js (which reads the service's config):
  // migrate through the service that lists it; one run per app and database.
  const owner = (s) => (s.kind === 'worker' && all.find((x) => x.workers.includes(s.name))) || s;
  const chosen = (argv.length ? argv.map(findService) : all).map(owner);
  const seen = new Set();
  const targets = chosen.filter((s) => {
    const key = `${s.app}:${s.database}`;
    if (!s.database || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (!targets.length) {
    console.error('migrate: nothing to do (no database among the chosen services)');
    return 0;
  }
  const entry = (s) => path.join(ROOT, 'dist/apps', s.app, 'src/migrate.js');
  if (targets.some((s) => !fs.existsSync(entry(s)))) {
    console.error('migrate: dist/ is missing or incomplete; building it (node tools/build.js)');
    const build = spawnSync(process.execPath, [path.join(ROOT, 'tools/build.js')], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) return 1;
  }
  for (const s of targets) {
    const env = { ...process.env, ...localEnv(s.name) };
    console.error(`migrate: ${s.app} → ${new URL(env.DATABASE_URL).pathname.slice(1)}`);
    const run = spawnSync(process.execPath, ['--enable-source-maps', entry(s)], { cwd: ROOT, env, stdio: 'inherit' });
    if (run.status !== 0) {
      console.error(`migrate: ${s.app} failed (exit ${run.status ?? run.signal})`);
      return 1;
    }
  }
  console.error(`migrate: ${targets.length} database(s) up to date`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`migrate: ${err.message}`);
  process.exitCode = 1;
}

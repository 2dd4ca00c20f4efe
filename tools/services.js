#!/usr/bin/env node
// The service list (libs/contracts/src/services.ts) for scripts: shell scripts call this file,
// node tools require it. It compiles that one TypeScript file on its own with SWC (it has no
// imports), so it works before `npm run build`; it needs node_modules (npm install).
//
//   node tools/services.js [json]        the list, with each process's start wave
//   node tools/services.js databases     one database name per line (tally_auth, ...)
//   node tools/services.js plan [names]  start plan, one tab-separated line per process:
//                                        wave name port dist-entry ready-path
//   node tools/services.js env <name>    KEY=VALUE lines: the environment to run <name> locally,
//                                        from DATABASE_URL_BASE, KAFKA_BROKERS, REDIS_URL, SMTP_*,
//                                        SECRETS_KEY, ... of the calling environment
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'libs/contracts/src/services.ts');

function compile(source, filename) {
  try {
    const swc = require('@swc/core');
    return swc.transformSync(source, {
      filename,
      swcrc: false,
      module: { type: 'commonjs' },
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    }).code;
  } catch (err) {
    if (err && err.code !== 'MODULE_NOT_FOUND') throw err;
  }
  try {
    const ts = require('typescript');
    return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  } catch (err) {
    if (err && err.code !== 'MODULE_NOT_FOUND') throw err;
  }
  throw new Error('tools/services.js needs @swc/core or typescript: run `npm install` first');
}

let cached;
/** The exports of libs/contracts/src/services.ts (SERVICES, startWaves, databaseName, ...). */
function loadContracts() {
  if (cached) return cached;
  const m = new Module(SOURCE, module);
  m.filename = SOURCE;
  m.paths = Module._nodeModulePaths(path.dirname(SOURCE));
  m._compile(compile(fs.readFileSync(SOURCE, 'utf8'), SOURCE), SOURCE);
  cached = m.exports;
  return cached;
}

function loadServices() {
  return loadContracts().SERVICES;
}

function findService(name) {
  const s = loadServices().find((x) => x.name === name);
  if (!s) throw new Error(`no service named ${name} in libs/contracts/src/services.ts`);
  return s;
}

/**
 * The environment to run a process locally (npm start, npm run migrate), from the caller's:
 * infra/up.sh's exports (DATABASE_URL_BASE, REDIS_URL, KAFKA_BROKERS, SMTP_HOST/SMTP_PORT) and
 * anything set by hand. Only what the process reads, per its flags in the list.
 */
function localEnv(name, env = process.env) {
  const c = loadContracts();
  const s = findService(name);
  const out = {
    NODE_ENV: env.NODE_ENV || 'development',
    LOG_LEVEL: env.LOG_LEVEL || 'info',
    PORT: String(s.port),
    APP_PUBLIC_URL: env.APP_PUBLIC_URL || 'http://localhost:8080',
  };
  if (s.database) out.DATABASE_URL = `${(env.DATABASE_URL_BASE || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '')}/${c.databaseName(s.database)}`;
  if (s.kafka) out.KAFKA_BROKERS = env.KAFKA_BROKERS || '127.0.0.1:9092';
  if (s.redis) out.REDIS_URL = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (s.smtp) {
    out.SMTP_HOST = env.SMTP_HOST || '127.0.0.1';
    out.SMTP_PORT = env.SMTP_PORT || env.MAILCATCHER_SMTP_PORT || '1025';
    out.SMTP_FROM = env.SMTP_FROM || 'Tally <no-reply@tally.local>';
  }
  if (s.secretsKey && env.SECRETS_KEY) out.SECRETS_KEY = env.SECRETS_KEY;
  if (s.kind === 'gateway') {
    for (const u of c.routedServices()) out[c.upstreamUrlEnv(u.name)] = env[c.upstreamUrlEnv(u.name)] || `http://127.0.0.1:${u.port}`;
  }
  return out;
}

/** `dist/apps/<app>/src/<entry>` of a process. */
function distEntry(s) {
  return `dist/apps/${s.app}/src/${s.entry}`;
}

function main(argv) {
  const [cmd = 'json', ...args] = argv;
  const c = loadContracts();
  const print = (lines) => process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
  switch (cmd) {
    case 'json': {
      const waves = c.startWaves();
      const wave = (n) => waves.findIndex((w) => w.includes(n));
      process.stdout.write(JSON.stringify(c.SERVICES.map((s) => ({ ...s, wave: wave(s.name) })), null, 2) + '\n');
      return;
    }
    case 'databases':
      return print(c.allDatabases());
    case 'names':
      return print(c.startWaves().flat());
    case 'plan': {
      const names = args.length ? args : undefined;
      if (names) names.forEach(findService);
      return print(c.startWaves(names).flatMap((w, i) => w.map((n) => {
        const s = findService(n);
        return [i, s.name, s.port, distEntry(s), s.readyPath].join('\t');
      })));
    }
    case 'env': {
      if (args.length !== 1) throw new Error('usage: node tools/services.js env <name>');
      return print(Object.entries(localEnv(args[0])).map(([k, v]) => `${k}=${v}`));
    }
    default:
      throw new Error(`unknown command ${cmd}; see the header of tools/services.js`);
  }
}

module.exports = { loadContracts, loadServices, findService, localEnv, distEntry, ROOT };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`tools/services.js: ${err.message}\n`);
    process.exit(1);
  }
}

#!/usr/bin/env node
// Compiles every non-test TypeScript file under apps/ and libs/ to dist/ with SWC
// (decorator metadata on, as Nest's DI needs it) and rewrites the @tally/* aliases of
// tsconfig.base.json into relative requires, so dist/ runs with plain `node`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist');
// Compile into a fresh folder and swap it in at the end: a failed build never leaves dist/ half-written.
const staging = path.join(root, `.dist-build-${process.pid}`);
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const paths = require(path.join(root, 'tsconfig.base.json')).compilerOptions.paths;
const aliases = Object.fromEntries(
  Object.entries(paths).map(([alias, [target]]) => [alias, path.join(staging, target.replace(/\.ts$/, '.js'))]),
);

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'test') continue;
      yield* walk(p);
    } else if (/\.ts$/.test(entry.name) && !/\.(spec|test|e2e-spec|d)\.ts$/.test(entry.name)) {
      yield p;
    }
  }
}

async function main() {
  const started = Date.now();
  fs.rmSync(staging, { recursive: true, force: true });
  let count = 0;
  const files = [...walk(path.join(root, 'apps')), ...walk(path.join(root, 'libs'))];
  await Promise.all(
    files.map(async (file) => {
      const rel = path.relative(root, file);
      const dest = path.join(staging, rel.replace(/\.ts$/, '.js'));
      const result = await swc.transformFile(file, { ...swcrc, filename: file, swcrc: false, sourceMaps: true, sourceFileName: path.relative(path.dirname(dest), file) });
      const code = result.code.replace(/require\((["'])(@tally\/[a-z-]+)\1\)/g, (m, q, alias) => {
        const target = aliases[alias];
        if (!target) throw new Error(`${rel}: unknown alias ${alias}`);
        let r = path.relative(path.dirname(dest), target).replace(/\\/g, '/');
        if (!r.startsWith('.')) r = './' + r;
        return `require(${q}${r}${q})`;
      });
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, code + `\n//# sourceMappingURL=${path.basename(dest)}.map\n`);
      if (result.map) fs.writeFileSync(dest + '.map', result.map);
      count++;
    }),
  );
  const old = `${out}.old-${process.pid}`;
  if (fs.existsSync(out)) fs.renameSync(out, old);
  fs.renameSync(staging, out);
  fs.rmSync(old, { recursive: true, force: true });
  console.log(`build: ${count} files compiled to dist/ in ${Date.now() - started} ms`);
}

main().catch((err) => {
  fs.rmSync(staging, { recursive: true, force: true });
  console.error(err);
  process.exit(1);
});

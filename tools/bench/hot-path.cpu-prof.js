// Preloaded (`NODE_OPTIONS=--require ...`, where --cpu-prof itself is not allowed) by `hot-path.ts --cpu-prof DIR`:
// samples this process's CPU like `node --cpu-prof` and writes DIR/<service>-<pid>.cpuprofile when it is
// told to stop (SIGTERM) or exits. Open the file in Chrome DevTools (Performance) or VS Code.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.TALLY_CPU_PROF_DIR;
if (dir) {
  const name = path.basename(path.dirname(path.dirname(process.argv[1] || 'node')));
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // An in-thread inspector session answers synchronously, so this also works in an 'exit' handler.
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.prependListener('SIGTERM', write);
  process.on('exit', write);
}

// Preloaded into service processes by the end-to-end bench's `--profile`
// (NODE_OPTIONS="--import …", since `--cpu-prof` is not allowed there): a V8
// CPU profile of the whole process, written at exit to CUSTODES_CPU_PROF_DIR.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.CUSTODES_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  // Same-thread inspector sessions answer synchronously, so this works inside 'exit'.
  process.on('exit', () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `${process.argv[2] ?? 'node'}-${process.argv[process.argv.indexOf('--port') + 1] ?? process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}

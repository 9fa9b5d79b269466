/**
 * Preloaded into a process by `npm run bench -- --cpu-prof DIR` (NODE_OPTIONS
 * --import): samples the CPU from boot, and on SIGUSR2 writes what it sampled to
 * DIR/<pid>.cpuprofile (Chrome DevTools format). A signal rather than --cpu-prof
 * because the service ends by re-raising SIGTERM, which writes no profile.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  process.once('SIGUSR2', () => {
    void session.post('Profiler.stop').then(({ profile }) => {
      mkdirSync(dir, { recursive: true }); // DIR as given, made if missing
      const file = join(dir, `${process.pid}.cpuprofile`);
      writeFileSync(`${file}.tmp`, JSON.stringify(profile));
      renameSync(`${file}.tmp`, file); // whole or absent for whoever polls it
    });
  });
}

// `node --import ./bench/lib/cpu-profile-preload.mjs <app>`: the first SIGWINCH starts V8's sampling CPU
// profiler, the second stops it and writes the profile to $BENCH_CPU_PROFILE (a .cpuprofile file, which
// Chrome DevTools opens). Lets the bench profile only the measured phases, not start-up and warm-up.
// SIGWINCH because Nest's enableShutdownHooks() closes the app on SIGUSR2 (and SIGUSR1 starts Node's inspector).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.BENCH_CPU_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  let running = false;
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  process.on('SIGWINCH', () => {
    if (!running) {
      running = true;
      post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => post('Profiler.start'))
        .catch((err) => process.stderr.write(`cpu profile: ${err.message}\n`));
      return;
    }
    running = false;
    post('Profiler.stop')
      .then(({ profile }) => writeFileSync(out, JSON.stringify(profile)))
      .catch((err) => process.stderr.write(`cpu profile: ${err.message}\n`));
  });
}

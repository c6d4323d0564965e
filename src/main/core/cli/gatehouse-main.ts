// Entry of `out/main/gatehouse.js`, the `gatehouse` command: no Electron anywhere below here.
import { runGatehouse } from './gatehouse';

runGatehouse(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 7;
  },
);

// `npm run emulator`: the offline LLM emulator as a process.
import { runCli } from '@margin/llm-emulator';

runCli(process.argv.slice(2), process.env).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${JSON.stringify({ msg: 'llm-emulator failed to start', error: message })}\n`);
  process.exit(1);
});

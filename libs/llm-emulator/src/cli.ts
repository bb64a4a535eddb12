// The emulator's command line: parse arguments, load the config file, serve until stopped.
import { ConfigError, EMULATOR_VERSION, loadConfigFile, type EmulatorConfigInput } from './config';
import { createEmulator, DEFAULT_HOST, DEFAULT_PORT } from './server';

interface CliOptions {
  port: number;
  host: string;
  config?: string;
}

function usage(): string {
  return [
    'Usage: llm-emulator [--port 11434] [--host 127.0.0.1] [--config path/to/config.json]',
    '  The configuration path can also be given with LLM_EMULATOR_CONFIG.',
  ].join('\n');
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const out: CliOptions = { port: DEFAULT_PORT, host: DEFAULT_HOST, config: env['LLM_EMULATOR_CONFIG'] || undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value\n${usage()}`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`--port must be an integer between 0 and 65535`);
        out.port = p;
        break;
      }
      case '--host':
        out.host = value();
        break;
      case '--config':
        out.config = value();
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${usage()}\n`);
        process.exit(0);
        break;
      default:
        throw new ConfigError(`unknown argument ${arg}\n${usage()}`);
    }
  }
  return out;
}

/** Runs the emulator as a command-line server until SIGINT/SIGTERM. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const options = parseArgs(argv, env);
  const config: EmulatorConfigInput | undefined = options.config ? loadConfigFile(options.config) : undefined;
  const emulator = createEmulator(config);
  const { url } = await emulator.listen(options.port, options.host);
  process.stdout.write(
    `${JSON.stringify({ msg: 'llm-emulator listening', url, version: EMULATOR_VERSION, config: options.config ?? null, models: emulator.config.models.map((m) => m.name) })}\n`,
  );
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

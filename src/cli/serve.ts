/**
 * `microemo serve`: the server with its embedded defaults (what `npm start` runs). Every config key is also a flag.
 */
import type { Command } from 'commander';
import { ConfigError, configSchema, envName, flagName, loadConfig } from '../server/config.ts';
import { runServer } from '../server/main.ts';

export function registerServe(program: Command): void {
  const cmd = program.command('serve', { isDefault: true }).description('run the HTTP/WHIP/socket.io server');
  for (const key of Object.keys(configSchema.shape)) {
    cmd.option(`${flagName(key)} <value>`, `(env ${envName(key)})`);
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(process.env, opts);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      throw err;
    }
    await runServer(config);
  });
}

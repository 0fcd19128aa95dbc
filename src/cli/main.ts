/**
 * `microemo` command line. Every file in ./commands registers one command (keeps commands independent).
 */
import { readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerServe } from './serve.ts';

const program = new Command()
  .name('microemo')
  .description('Real-time, micro-expression-aware emotion analysis of live video')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerServe(program);
const dir = new URL('./commands/', import.meta.url);
for (const f of readdirSync(dir).sort()) {
  if (!f.endsWith('.ts')) continue;
  const mod = (await import(new URL(f, dir).href)) as { register?: (p: Command) => void };
  mod.register?.(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    process.exit(err.exitCode);
  }
  console.error(`microemo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

#!/usr/bin/env node
/**
 * The gaitforge command line. Every file in cli/commands is a yargs command
 * module; each validates its options, calls one library function and prints.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigRangeError, GaitforgeError, isUsageError } from '../src/core/errors.js';
import { VERSION } from '../src/core/version.js';

async function loadCommands(): Promise<CommandModule[]> {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(path.join(dir, f)).href)));
  return mods.flatMap((m: Record<string, unknown>) => Object.values(m).filter(isCommand));
}

function isCommand(x: unknown): x is CommandModule {
  return typeof x === 'object' && x !== null && 'command' in x && 'handler' in x;
}

/**
 * One line for errors the user can act on: a GaitforgeError (exit 1, or 2
 * for E_OPTION) or a configuration value out of range (ConfigRangeError,
 * exit 2). Anything else is a bug (a RangeError from a stack overflow
 * included) and is reported as an internal error with its stack.
 */
function fail(err: unknown): never {
  if (err instanceof GaitforgeError || err instanceof ConfigRangeError) {
    process.stderr.write(`gaitforge: ${err.message}\n`);
    process.exit(isUsageError(err) ? 2 : 1);
  }
  process.stderr.write(`gaitforge: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const commands = await loadCommands();
  let cli = yargs(hideBin(process.argv))
    .scriptName('gaitforge')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'Name a command (gaitforge --help lists them)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) fail(err);
      process.stderr.write(`gaitforge: ${msg}\nRun with --help for usage.\n`);
      process.exit(2);
    });
  for (const c of commands) cli = cli.command(c);
  await cli.help().alias('help', 'h').parseAsync();
}

main().catch(fail);

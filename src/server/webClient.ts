/**
 * The web client (client/web: call page, dashboard, OBS page), bundled with esbuild into client/dist and served
 * by Fastify. The bundle is rebuilt at server start whenever a source is newer than the last build, so
 * `npm install && npm start` serves current pages without a separate build step; `npm run build:client` builds
 * ahead of time (a read-only install, a container image).
 *
 * Pages: / (index), /call/, /dashboard/, /obs/. They talk to the same origin: socket.io `/call` and `/events`,
 * REST /streams. Nothing server-side (tokens, configuration) is rendered into them.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { ServerContext, ServerModule } from './app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_SOURCE = join(ROOT, 'client/web');
export const WEB_DIST = join(ROOT, 'client/dist');
export const WEB_PAGES = ['call', 'dashboard', 'obs'] as const;
const STAMP = '.build-stamp';
/** what the bundles are made of besides client/web itself */
const INPUTS = [
  WEB_SOURCE,
  join(ROOT, 'client/sdk'),
  join(ROOT, 'src/events/schema.ts'),
  join(ROOT, 'package-lock.json'),
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), st.mtimeMs);
}

export interface WebBuild {
  built: boolean;
  outDir: string;
  ms: number;
}

/** Bundles the pages into `outDir` unless the last build there is newer than every input (or `force`). */
export async function buildWebClient(opts: { outDir?: string; force?: boolean } = {}): Promise<WebBuild> {
  const outDir = opts.outDir ?? WEB_DIST;
  const t0 = performance.now();
  const stamp = join(outDir, STAMP);
  if (!opts.force && existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...INPUTS.map(newestMtime)))
    return { built: false, outDir, ms: performance.now() - t0 };
  // loaded only when a build is due: most starts find the bundle current
  const { build } = await import('esbuild');
  await build({
    entryPoints: [
      ...WEB_PAGES.map((p) => ({ in: join(WEB_SOURCE, p, 'main.ts'), out: `${p}/main` })),
      { in: join(WEB_SOURCE, 'style.css'), out: 'style' },
    ],
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'silent',
  });
  for (const page of ['', ...WEB_PAGES]) {
    mkdirSync(join(outDir, page), { recursive: true });
    copyFileSync(join(WEB_SOURCE, page, 'index.html'), join(outDir, page, 'index.html'));
  }
  writeFileSync(stamp, new Date().toISOString());
  return { built: true, outDir, ms: performance.now() - t0 };
}

/**
 * Server module: serves client/dist at `/`, building it first when stale. The build runs in the background so
 * that it never delays /healthz or the API (a first start after a change takes a second or two more to build);
 * a page requested meanwhile waits for it.
 */
export function webClient(opts: { outDir?: string } = {}): ServerModule {
  return async (ctx: ServerContext) => {
    const log = ctx.log.child({ component: 'web' });
    const outDir = opts.outDir ?? WEB_DIST;
    const built = buildWebClient({ outDir }).then(
      (r) => {
        if (r.built) log.info({ ms: Math.round(r.ms), outDir }, 'web client built');
        return true;
      },
      (err: Error) => {
        // the API, WHIP and analysis do not need the pages: they go on, the pages answer 503
        log.error({ err: err.message }, 'web client build failed; pages not served');
        return false;
      },
    );
    mkdirSync(outDir, { recursive: true }); // the build fills it; @fastify/static wants it to exist now
    await ctx.app.register(async (pages) => {
      // encapsulated: this hook runs for the static routes only
      pages.addHook('onRequest', async (_req, reply) => {
        if (!(await built)) return reply.code(503).send({ error: 'web client build failed (see the server log)' });
      });
      await pages.register(fastifyStatic, { root: outDir, prefix: '/', index: 'index.html', dotfiles: 'ignore' });
    });
    for (const page of WEB_PAGES) ctx.app.get(`/${page}`, (_req, reply) => reply.redirect(`/${page}/`));
    ctx.shutdown.register('web-client build', async () => {
      await built;
    });
  };
}

// `npm run build:client`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildWebClient({ force: true });
  console.log(`web client built into ${r.outDir} in ${Math.round(r.ms)} ms`);
}

import { createReadStream, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGlb, viewerHtml, writeViewer, type ViewerData } from '../../src/render/index.js';
import { ensureChromium, launch } from './chromium.js';
import { mixedSet } from './fixtures.js';

interface Pixels {
  colours: number;
  labelLike: number;
}

/** Distinct colours in the page's WebGL canvas, and pixels close to `rgb` (the shown gait's label colour, lit). */
async function canvasPixels(page: Page, rgb: [number, number, number]): Promise<Pixels> {
  return page.evaluate((want) => {
    const src = document.querySelector('#gf-view canvas') as HTMLCanvasElement;
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    let labelLike = 0;
    for (let i = 0; i < d.length; i += 4) {
      seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      // Same hue family: the dominant channel of the label colour dominates here too.
      const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
      const k = want.indexOf(Math.max(...want));
      const px = [r, g, b];
      if (px[k]! > 60 && px.every((v, j) => j === k || px[k]! - v > 50)) labelLike++;
    }
    return { colours: seen.size, labelLike };
  }, rgb);
}

/** Distinct colours of a PNG screenshot, decoded by the browser itself. */
async function screenshotColours(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
    return seen.size;
  }, png.toString('base64'));
}

describe('viewer page in headless Chromium', () => {
  const set = mixedSet(40);
  let dir: string;
  let ctx: BrowserContext;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    await ensureChromium();
    dir = mkdtempSync(path.join(os.tmpdir(), 'gf-viewer-'));
    await writeViewer(path.join(dir, 'viewer'), set, { title: 'test viewer' });
    ctx = await launch();
    // A plain static server, as `npx serve viewer/` would be.
    server = http.createServer((req, res) => {
      const p = path.join(dir, 'viewer', decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      const file = p.endsWith('/') ? path.join(p, 'index.html') : p;
      try {
        statSync(file);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await ctx?.close();
    await new Promise((r) => server?.close(r));
  });

  async function open(url: string): Promise<{ page: Page; problems: string[] }> {
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      // Chromium's own GL driver notes (e.g. "GPU stall due to ReadPixels") are warnings, not page problems.
      if (m.type() === 'error' || (m.type() === 'warning' && /THREE|gaitforge/.test(m.text()))) problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
    await page.goto(url);
    await page.waitForSelector('html[data-gf-ready="true"]', { timeout: 60_000 });
    return { page, problems };
  }

  it('embeds everything: no external scripts, GLBs that validate', async () => {
    const html = readFileSync(path.join(dir, 'viewer', 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const data = JSON.parse(/<script id="gaitforge-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as ViewerData;
    expect(data.gaits.map((g) => g.id)).toEqual(set.ids);
    const v = await validateGlb(Buffer.from(data.gaits[3]!.glb, 'base64'));
    expect([v.errors, v.warnings]).toEqual([0, 0]);
  });

  it('loads from file:// with no console errors and draws the walker (screenshot not blank)', async () => {
    const { page, problems } = await open(pathToFileURL(path.join(dir, 'viewer', 'index.html')).href);
    await page.evaluate(() => window.gaitforgeViewer!.setTime(0.5));
    await page.waitForTimeout(200);
    const shot = await page.screenshot();
    writeFileSync(path.join(dir, 'viewer.png'), shot);
    console.log(`viewer screenshot: ${path.join(dir, 'viewer.png')}`);
    expect(await screenshotColours(page, shot)).toBeGreaterThan(50);
    const angry: [number, number, number] = [0xd6, 0x27, 0x28];
    const px = await canvasPixels(page, angry);
    expect(px.colours).toBeGreaterThan(20);
    expect(px.labelLike).toBeGreaterThan(300); // the first gait is angry: red spheres and bones
    const state = await page.evaluate(() => window.gaitforgeViewer!.state());
    expect(state).toMatchObject({ id: set.ids[0], playing: false, visible: set.ids });
    expect(state.time).toBeCloseTo(0.5, 5);
    expect(await page.locator('#gf-list li').count()).toBe(set.N);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters by label and source, switches gaits, scrubs and plays', async () => {
    const { page, problems } = await open(pathToFileURL(path.join(dir, 'viewer', 'index.html')).href);
    await page.selectOption('#gf-label', 'sad');
    await expect.poll(() => page.evaluate(() => window.gaitforgeViewer!.state().id)).toBe('id00-sad-0');
    expect(await page.locator('#gf-list li').allTextContents()).toEqual(['id00-sad-0sad · real', 'id01-sad-0sad · synthetic']);
    await page.selectOption('#gf-source', 'synthetic');
    await expect.poll(() => page.evaluate(() => window.gaitforgeViewer!.state().id)).toBe('id01-sad-0');
    expect(await page.locator('#gf-count').textContent()).toBe(`1 of ${set.N} gaits`);
    await expect.poll(async () => (await canvasPixels(page, [0x1f, 0x77, 0xb4])).labelLike).toBeGreaterThan(300);
    await page.selectOption('#gf-label', '');
    await page.locator('#gf-list li', { hasText: 'id01-happy-0' }).click();
    await expect.poll(() => page.evaluate(() => window.gaitforgeViewer!.state().id)).toBe('id01-happy-0');
    expect(await page.locator('#gf-info').textContent()).toContain('generator: stepgen');
    // Scrubbing pauses and moves the pose; different times draw different pictures.
    await page.locator('#gf-scrub').fill('0');
    await page.waitForTimeout(150);
    const a = await page.locator('#gf-view canvas').screenshot();
    await page.locator('#gf-scrub').fill('0.9');
    await page.waitForTimeout(150);
    const b = await page.locator('#gf-view canvas').screenshot();
    expect(Buffer.compare(a, b)).not.toBe(0);
    const st = await page.evaluate(() => window.gaitforgeViewer!.state());
    expect(st.playing).toBe(false);
    expect(st.time).toBeCloseTo(0.9, 1);
    await page.click('#gf-play');
    const t0 = st.time;
    await expect.poll(() => page.evaluate(() => window.gaitforgeViewer!.state().time)).not.toBeCloseTo(t0, 2);
    expect(await page.evaluate(() => window.gaitforgeViewer!.state().playing)).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works from a static HTTP server too', async () => {
    const { page, problems } = await open(base);
    expect(await page.evaluate(() => window.gaitforgeViewer!.state().id)).toBe(set.ids[0]);
    expect((await canvasPixels(page, [0xd6, 0x27, 0x28])).labelLike).toBeGreaterThan(300);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses more gaits than maxGaits before building anything', async () => {
    await expect(viewerHtml(set, { maxGaits: 3 })).rejects.toThrow(/8 gaits selected; the viewer embeds every gait and takes at most 3/);
  });
});

// End-to-end test of JupyterLab with the "Go (gofm)" kernel, in a real browser (Debian's
// chromium driven by playwright-core). kernel/e2e/run.sh starts the server and runs this
// file; it reads its settings from the environment:
//
//   LAB_URL        the server's base URL, e.g. http://127.0.0.1:40123/
//   LAB_TOKEN      its token
//   LAB_ROOT       the folder the server serves (a copy of the notebooks under out/)
//   LAB_NOTEBOOKS  notebooks to run, comma-separated file names in LAB_ROOT
//   LAB_OUT        where screenshots and the report go
//   CHROMIUM       the browser executable (default /usr/bin/chromium)
//
// What a user would see is what is checked: the server refuses requests without the
// token and listens on loopback only; the launcher shows "Go (gofm)" with our logo; each
// notebook opens with the Go kernel, Run All executes every code cell, no cell shows an
// error, every plots.Display call renders a PNG image, the markdown's LaTeX is typeset,
// the verify lines appear and none failed; the notebook saves with its outputs; and the
// Go kernel's console runs a statement. Every problem is collected and printed; the exit
// status is 1 when there is any.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined || v === '') {
    console.error(`lab_test: ${name} is not set (run kernel/e2e/run.sh, which sets it)`);
    process.exit(2);
  }
  return v;
};
const base = env('LAB_URL');
const token = env('LAB_TOKEN');
const root = env('LAB_ROOT');
const notebooks = env('LAB_NOTEBOOKS').split(',').filter(Boolean);
const outDir = env('LAB_OUT');
const chromiumPath = env('CHROMIUM', '/usr/bin/chromium');
const port = Number(new URL(base).port);

// How long a notebook may take from Run All to the last cell done. Notebooks 01-07 run in
// 20-40 s in quick mode with a warm build cache; 150 s leaves room for a cold cache.
const RUN_TIMEOUT_MS = 150_000;
// Opening JupyterLab and starting the kernel: a few seconds warm.
const OPEN_TIMEOUT_MS = 60_000;

const problems = [];
const facts = [];
const problem = (where, msg) => {
  problems.push(`${where}: ${msg}`);
  console.log(`  PROBLEM ${where}: ${msg}`);
};
const fact = (msg) => {
  facts.push(msg);
  console.log(`  ${msg}`);
};

// --- The server: token and loopback -------------------------------------------------------

async function checkServer() {
  console.log('server');
  const without = await fetch(new URL('api/contents', base));
  if (without.status !== 403) problem('server', `GET /api/contents without the token answered ${without.status}, want 403`);
  else fact('a request without the token is refused (403)');
  const withTok = await fetch(new URL('api/contents', base), { headers: { Authorization: `token ${token}` } });
  if (withTok.status !== 200) problem('server', `GET /api/contents with the token answered ${withTok.status}, want 200`);

  // Listening sockets on the port, from the kernel's tables: all must be 127.0.0.1.
  const listeners = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A: LISTEN
      const [addrHex, portHex] = f[1].split(':');
      if (parseInt(portHex, 16) !== port) continue;
      listeners.push(v6 ? `[${addrHex}]` : hexToIPv4(addrHex));
    }
  }
  if (listeners.length === 0) problem('server', `nothing listens on port ${port} (is /proc/net/tcp readable?)`);
  const notLoop = listeners.filter((a) => a !== '127.0.0.1');
  if (notLoop.length) problem('server', `port ${port} also listens on ${notLoop.join(', ')}; want 127.0.0.1 only`);
  else if (listeners.length) fact(`the server listens on ${listeners.join(', ')}:${port} only`);

  // And from the outside: the machine's other addresses must refuse the port.
  for (const addr of Object.values(os.networkInterfaces()).flat()) {
    if (!addr || addr.internal || addr.family !== 'IPv4') continue;
    const open = await new Promise((resolve) => {
      const s = net.connect({ host: addr.address, port, timeout: 2000 });
      s.on('connect', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
      s.on('timeout', () => { s.destroy(); resolve(false); });
    });
    if (open) problem('server', `port ${port} accepts connections on ${addr.address}; want loopback only`);
    else fact(`${addr.address}:${port} refuses connections`);
  }
}

function hexToIPv4(hex) {
  // /proc/net/tcp stores the address as a little-endian 32-bit hex number.
  const n = parseInt(hex, 16);
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
}

// --- The browser -------------------------------------------------------------------------------

async function waitIdle(page, what, timeout) {
  // The kernel is idle and no cell waits in the queue ("[*]"), twice in a row a second
  // apart (between two queued cells the kernel is idle for a moment).
  const deadline = Date.now() + timeout;
  let stable = 0;
  let state = {};
  while (Date.now() < deadline) {
    state = await page.evaluate(() => {
      const ind = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
      const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
        .map((e) => e.textContent.trim());
      return { status: ind ? ind.dataset.status : 'none', queued: prompts.filter((p) => p.includes('*')).length };
    });
    stable = state.status === 'idle' && state.queued === 0 ? stable + 1 : 0;
    if (stable >= 2) return true;
    await page.waitForTimeout(1000);
  }
  problem(what, `the kernel was not idle within ${timeout / 1000} s (status ${state.status}, ${state.queued} cells queued)`);
  await page.screenshot({ path: path.join(outDir, `${what.replace(/\.ipynb$/, '')}-not-idle.png`) }).catch(() => {});
  return false;
}

async function openLauncher(page) {
  if (await page.locator('.jp-Launcher:visible').count()) return;
  await page.getByRole('menuitem', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: /^New Launcher/ }).click();
  await page.locator('.jp-Launcher:visible').waitFor({ timeout: OPEN_TIMEOUT_MS });
}

async function checkLauncher(page) {
  console.log('launcher');
  await openLauncher(page);
  const card = page.locator('.jp-Launcher:visible .jp-LauncherCard[data-category="Notebook"][title="Go (gofm)"]');
  if ((await card.count()) !== 1) {
    problem('launcher', 'no "Go (gofm)" card under Notebook (is the kernelspec installed? run make install)');
    return;
  }
  const logo = await card.locator('img').evaluateAll((imgs) => imgs.map((i) => ({ src: i.src, w: i.naturalWidth })));
  if (logo.length !== 1 || !/\/kernelspecs\/gofm\/logo-(svg\.svg|64x64\.png)$/.test(logo[0].src) || logo[0].w === 0) {
    problem('launcher', `the "Go (gofm)" card shows no gofm logo: ${JSON.stringify(logo)} (kernel/logo is copied into the kernelspec by make install)`);
  } else {
    fact(`launcher: "Go (gofm)" card with its logo (${logo[0].src.split('/').slice(-1)[0]}, ${logo[0].w} px wide)`);
  }
}

// cellsOf reads the notebook's cells from disk: what the DOM is compared against.
function cellsOf(name) {
  const nb = JSON.parse(fs.readFileSync(path.join(root, name), 'utf8'));
  return nb.cells.map((c) => ({ type: c.cell_type, source: Array.isArray(c.source) ? c.source.join('') : c.source }));
}

const displayRE = /\bplots\.Display\w*\(/g;
const verifyCallRE = /\bverify\.\w+\(/;
// A line fmlib/verify prints: "<what>: <measured>, tolerance|threshold <limit>: <verdict>".
const verifyLineRE = /^.*, (tolerance|threshold) [^:\n]+: .+$/gm;
const failRE = /^CHECK FAILED: .*$/m;
const panicRE = /\bpanic: .*/;
const exitRE = /exit status ([1-9][0-9]*)/;

async function checkNotebook(page, name) {
  console.log(name);
  const t0 = Date.now();
  const source = cellsOf(name);
  // Open it as a user does: a double click in the file browser.
  await page.locator('.jp-DirListing-item', { has: page.locator('.jp-DirListing-itemText', { hasText: name }) }).dblclick();
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  await panel.waitFor({ timeout: OPEN_TIMEOUT_MS });
  await page.locator('.lm-TabBar-tab.jp-mod-current', { hasText: name.slice(0, 12) }).waitFor({ timeout: OPEN_TIMEOUT_MS });
  // The session starts with "No Kernel" and gets the notebook's kernel a moment later. A
  // notebook whose kernel is not found asks for one: choose "Go (gofm)" as a user would.
  let kernelName = '';
  const deadline = Date.now() + OPEN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dialog = page.locator('.jp-Dialog');
    if (await dialog.count()) {
      await dialog.locator('select').selectOption({ label: 'Go (gofm)' }).catch(() => {});
      await dialog.getByRole('button', { name: /Select/ }).click().catch(() => {});
    }
    kernelName = ((await panel.locator('.jp-KernelName, .jp-Toolbar-kernelName').first().textContent()) ?? '').trim();
    if (kernelName === 'Go (gofm)') break;
    await page.waitForTimeout(500);
  }
  if (kernelName !== 'Go (gofm)') {
    problem(name, `the notebook's kernel is "${kernelName}" after ${OPEN_TIMEOUT_MS / 1000} s, want "Go (gofm)"`);
    return;
  }
  if (!(await waitIdle(page, name, OPEN_TIMEOUT_MS))) return;

  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Run All Cells/ }).click();
  await page.waitForTimeout(2000);
  if (!(await waitIdle(page, name, RUN_TIMEOUT_MS))) return;
  const runSeconds = (Date.now() - t0) / 1000;

  const dom = await panel.locator('.jp-Cell').evaluateAll((cells) => cells.map((c) => {
    const outs = [...c.querySelectorAll('.jp-OutputArea-output')];
    return {
      code: c.classList.contains('jp-CodeCell'),
      prompt: c.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '',
      text: outs.map((o) => o.textContent).join('\n'),
      stderr: outs.filter((o) => o.dataset.mimeType === 'application/vnd.jupyter.stderr').map((o) => o.textContent.trim()),
      pngs: [...c.querySelectorAll('.jp-OutputArea-output img')]
        .filter((i) => i.src.startsWith('data:image/png'))
        .map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight })),
      math: c.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
      mathErrors: c.querySelectorAll('.jp-RenderedMarkdown mjx-merror').length,
      markdown: c.querySelector('.jp-RenderedMarkdown')?.textContent ?? '',
    };
  }));
  if (dom.length !== source.length) {
    problem(name, `JupyterLab shows ${dom.length} cells, the file has ${source.length}`);
    return;
  }

  let codeCells = 0, pngs = 0, verifyLines = 0, mathCells = 0, mathNodes = 0;
  dom.forEach((c, i) => {
    const src = source[i];
    const where = `${name} cell ${i}`;
    if (src.type === 'code' && src.source.trim() !== '') {
      codeCells++;
      if (!/^\[\d+\]:$/.test(c.prompt)) problem(where, `no execution count (prompt "${c.prompt}"): the cell did not run`);
      for (const e of c.stderr) problem(where, `error output: ${e.split('\n').slice(0, 3).join(' | ')}`);
      const m = c.text.match(panicRE) || c.text.match(exitRE);
      if (m) problem(where, `output says "${m[0]}"`);
      const f = c.text.match(failRE);
      if (f) problem(where, `a check failed: ${f[0]}`);
      const want = (src.source.match(displayRE) || []).length;
      const bad = c.pngs.filter((p) => !p.ok).length;
      if (c.pngs.length !== want) problem(where, `${c.pngs.length} PNG images rendered, want ${want} (one per plots.Display call)`);
      if (bad) problem(where, `${bad} PNG images did not load`);
      pngs += c.pngs.length;
      const lines = (c.text.match(verifyLineRE) || []).length;
      if (verifyCallRE.test(src.source) && lines === 0) problem(where, 'the cell calls verify but printed no verify line');
      verifyLines += lines;
    }
    if (src.type === 'markdown' && src.source.includes('$')) {
      mathCells++;
      mathNodes += c.math;
      if (c.math === 0) problem(where, 'markdown with $...$ shows no typeset math (MathJax did not run?)');
      if (c.mathErrors) problem(where, `${c.mathErrors} MathJax errors in the markdown`);
      if (/\$\$|\\frac|\\mathbb/.test(c.markdown)) problem(where, 'raw LaTeX is showing in the rendered markdown');
    }
  });
  fact(`${name}: ${codeCells} code cells ran in ${runSeconds.toFixed(0)} s; ${pngs} PNG plots; ${verifyLines} verify lines, none failed; ${mathNodes} formulas typeset in ${mathCells} markdown cells`);

  // Save, and check what JupyterLab wrote: outputs kept, no error outputs.
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => !document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty, .lm-TabBar-tab.jp-mod-current.jp-mod-dirty'), null, { timeout: 20_000 })
    .catch(() => problem(name, 'the notebook did not save within 20 s'));
  const saved = JSON.parse(fs.readFileSync(path.join(root, name), 'utf8'));
  let savedPngs = 0;
  saved.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    for (const o of c.outputs) {
      if (o.output_type === 'error') problem(`${name} cell ${i}`, `saved notebook has an error output: ${o.ename}: ${String(o.evalue).split('\n')[0]}`);
      if (o.data && o.data['image/png']) savedPngs++;
    }
  });
  if (savedPngs !== pngs) problem(name, `the saved notebook holds ${savedPngs} PNG outputs, the page showed ${pngs}`);

  await screenshot(page, name);
}

// screenshot saves the whole notebook as one image. The notebook scrolls inside its
// panel and renders cells lazily, so the panel is scrolled a screen at a time, each
// screen is captured, and the captures are stacked on a canvas in a blank page.
async function screenshot(page, name) {
  const MAX_HEIGHT = 32_000; // chromium's canvas holds at most 32,767 rows
  const scroller = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer').first();
  const box = await scroller.boundingBox();
  const shots = [];
  let top = 0;
  for (let i = 0; i < 200; i++) {
    const at = await scroller.evaluate((e, t) => { e.scrollTop = t; return e.scrollTop; }, top);
    await page.waitForTimeout(250);
    shots.push({ top: at, png: (await page.screenshot({ clip: box })).toString('base64') });
    const { scroll, client } = await scroller.evaluate((e) => ({ scroll: e.scrollHeight, client: e.clientHeight }));
    top = at + client;
    if (top >= scroll || at + box.height >= MAX_HEIGHT) break;
  }
  const height = Math.min(MAX_HEIGHT, shots[shots.length - 1].top + Math.round(box.height));
  const canvasPage = await page.context().newPage();
  const dataURL = await canvasPage.evaluate(async ({ shots, width, height }) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    for (const s of shots) {
      const img = new Image();
      img.src = `data:image/png;base64,${s.png}`;
      await img.decode();
      ctx.drawImage(img, 0, s.top);
    }
    return canvas.toDataURL('image/png');
  }, { shots, width: Math.round(box.width), height });
  await canvasPage.close();
  const file = path.join(outDir, name.replace(/\.ipynb$/, '.png'));
  fs.writeFileSync(file, Buffer.from(dataURL.split(',')[1], 'base64'));
  fact(`screenshot: ${file} (${Math.round(box.width)} x ${height} px, the whole notebook after Run All)`);
}

async function checkConsole(page) {
  console.log('console');
  await openLauncher(page);
  await page.locator('.jp-Launcher:visible .jp-LauncherCard[data-category="Console"][title="Go (gofm)"]').click();
  const consoleEl = page.locator('.jp-CodeConsole:visible');
  await consoleEl.waitFor({ timeout: OPEN_TIMEOUT_MS });
  await page.waitForFunction(() => /Go \(gofm\) \| Idle/.test(document.querySelector('.jp-StatusBar-Widget, #jp-main-statusbar')?.textContent ?? ''), null, { timeout: OPEN_TIMEOUT_MS })
    .catch(() => {});
  await consoleEl.locator('.jp-CodeConsole-promptCell .cm-content').click();
  await page.keyboard.type('%%\nfmt.Println("console:", 6*7)');
  const t0 = Date.now();
  await page.keyboard.press('Shift+Enter');
  const ok = await page.waitForFunction(() => /console: 42/.test(document.querySelector('.jp-CodeConsole:not(.lm-mod-hidden)')?.textContent ?? ''), null, { timeout: OPEN_TIMEOUT_MS })
    .then(() => true, () => false);
  if (ok) fact(`console: a Go statement ran with Shift+Enter and printed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  else problem('console', 'the Go console did not print "console: 42" after Shift+Enter');
  const file = path.join(outDir, 'console.png');
  await page.screenshot({ path: file });
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const t0 = Date.now();
  await checkServer();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    // --no-sandbox: chromium's sandbox needs user namespaces, which CI containers and root lack.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(OPEN_TIMEOUT_MS);
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    // The first visit carries the token; the server answers with a login cookie.
    await page.goto(new URL(`lab?token=${encodeURIComponent(token)}`, base).href);
    await page.locator('#jp-main-dock-panel').waitFor({ timeout: OPEN_TIMEOUT_MS });
    await checkLauncher(page);
    for (const nb of notebooks) {
      try {
        await checkNotebook(page, nb);
      } catch (e) {
        problem(nb, `the browser test stopped: ${String(e).split('\n')[0]}`);
        await page.screenshot({ path: path.join(outDir, nb.replace(/\.ipynb$/, '-failed.png')) }).catch(() => {});
      }
    }
    try {
      await checkConsole(page);
    } catch (e) {
      problem('console', `the browser test stopped: ${String(e).split('\n')[0]}`);
    }
    for (const e of consoleErrors) problem('page', `uncaught JavaScript error: ${e.split('\n')[0]}`);
  } finally {
    await browser.close();
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  const report = [`JupyterLab browser test (${secs} s): ${problems.length ? 'FAILED' : 'passed'}`, ...facts.map((f) => `  ${f}`),
    ...problems.map((p) => `  PROBLEM ${p}`)].join('\n');
  fs.writeFileSync(path.join(outDir, 'report.txt'), report + '\n');
  console.log(report);
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`lab_test: ${e.stack || e}`);
  process.exit(1);
});

// Debian's headless Chromium, driven through the DevTools protocol over Node's built-in
// WebSocket (no dev dependency: the protocol calls a test needs fit in this file).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => spawnSync(p, ['--version']).status === 0);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--remote-debugging-port=0',
  '--window-size=1400,900',
];

type Listener = (params: any, sessionId?: string) => void;

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  private constructor(
    private readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result);
      } else {
        for (const l of this.listeners.get(msg.method) ?? []) l(msg.params, msg.sessionId);
      }
    });
  }

  /** `flags` are added to Chromium's (e.g. --host-resolver-rules to point a name at the test server). */
  static async launch(flags: string[] = []): Promise<Browser> {
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install -y chromium)');
    const profile = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-chromium-'));
    const proc = spawn(CHROMIUM, [...FLAGS, ...flags, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 20_000);
      proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
        err += c;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
    });
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('cannot connect to chromium')), { once: true });
    });
    return new Browser(proc, ws, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  on(method: string, fn: Listener): void {
    let set = this.listeners.get(method);
    if (!set) {
      set = new Set();
      this.listeners.set(method, set);
    }
    set.add(fn);
  }

  async newPage(): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.init();
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // already gone
    }
    this.ws.close();
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    await new Promise((r) => (this.proc.exitCode !== null ? r(undefined) : this.proc.once('exit', r)));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  /** Messages of JavaScript dialogs (alert, confirm) the page opened; each is dismissed. */
  readonly dialogs: string[] = [];
  /** Uncaught exceptions and console errors, CSP violations included. */
  readonly errors: string[] = [];
  /** URLs of the requests the page sent (its fetches included), oldest first. */
  readonly requests: string[] = [];
  /** Answer given to confirm() dialogs. */
  confirmWith = true;

  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
  ) {}

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    return this.browser.send(method, params, this.sessionId);
  }

  async init(): Promise<void> {
    this.browser.on('Page.javascriptDialogOpening', (p, s) => {
      if (s !== this.sessionId) return;
      this.dialogs.push(`${p.type}: ${p.message}`);
      void this.send('Page.handleJavaScriptDialog', { accept: p.type === 'confirm' ? this.confirmWith : true });
    });
    this.browser.on('Runtime.exceptionThrown', (p, s) => s === this.sessionId && this.errors.push(p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text));
    this.browser.on('Log.entryAdded', (p, s) => s === this.sessionId && p.entry.level === 'error' && this.errors.push(`${p.entry.source}: ${p.entry.text}`));
    this.browser.on('Network.requestWillBeSent', (p, s) => s === this.sessionId && this.requests.push(p.request.url));
    await Promise.all([this.send('Page.enable'), this.send('Runtime.enable'), this.send('Log.enable'), this.send('Network.enable')]);
  }

  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const fn = (_: unknown, s?: string) => s === this.sessionId && resolve();
      this.browser.on('Page.loadEventFired', fn);
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its value. */
  async eval<T = any>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls an expression until it is truthy (at most `ms`); returns its value. */
  async waitFor<T = any>(expression: string, what: string, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await this.eval<T>(expression).catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${expression}); page text: ${await this.eval('document.body.innerText').catch(() => '?')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(file: string): Promise<void> {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    writeFileSync(file, Buffer.from(data, 'base64'));
  }
}

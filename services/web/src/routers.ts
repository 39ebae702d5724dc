/**
 * Routers serving the static pages of public/ (docs/PROTOCOL.md §4.4 for what the
 * explorer reads; docs/PROTOCOL.md §7.9 for the console's calls). No state, no
 * singletons: each call returns a fresh Router.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { RequestHandler, Response } from 'express';

// ## Files and headers

/** The browser code: public/lib (shared modules) and one folder per page. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/**
 * Our pages load only their own scripts and styles and talk only to their
 * own origin; everything they display comes from the network, so inline
 * script is refused outright rather than trusted to escaping.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The auditor's report.html is self-contained (inline styles and SVG). It is
 * built from log data anyone can write into (agency names, reasons), so it is
 * served sandboxed with no script at all.
 */
const REPORT_HTML_CSP = [
  'sandbox',
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  'font-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(res: Response, csp: string, cache: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', cache);
}

function staticDir(dir: string, cache: string): RequestHandler {
  return express.static(dir, {
    index: 'index.html',
    dotfiles: 'ignore',
    fallthrough: true,
    redirect: true,
    etag: true,
    lastModified: false,
    setHeaders: (res) => securityHeaders(res, PAGE_CSP, cache),
  });
}

/** Serves public/<page> and public/lib under `/<mount>/`, and redirects `/<mount>` to `/<mount>/`. */
function pageRouter(mount: string, page: string, cache: string): Router {
  const r = Router();
  r.get(`/${mount}`, (req, res, next) => {
    // Only the bare path: express matches `/explorer` case-insensitively and without the slash.
    if (req.path !== `/${mount}`) return next();
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    res.redirect(301, `${req.baseUrl}/${mount}/${query}`);
  });
  r.use(`/${mount}/lib`, staticDir(join(PUBLIC_DIR, 'lib'), cache));
  r.use(`/${mount}`, staticDir(join(PUBLIC_DIR, page), cache));
  return r;
}

// ## Routers

/**
 * `GET /` → 302 to `/<page>/`: a person who opens the service's address lands
 * on its page (the coordinator's explorer, a custodian's console) instead of
 * a JSON 404.
 */
function rootRedirect(page: 'explorer' | 'console'): Router {
  const r = Router();
  r.get('/', (req, res, next) => {
    if (req.path !== '/') return next();
    res.redirect(302, `${req.baseUrl}/${page}/`);
  });
  return r;
}

/** The public log explorer at `/explorer/`; it reads `../log/v1/*` and `../v1/registry`. */
function explorerRouter(): Router {
  return pageRouter('explorer', 'explorer', 'no-cache');
}

/**
 * The custodian console at `/console/`; it calls `../health`, `../v1/seal`,
 * `../v1/unseal` and `../v1/operator/*`. Mount it where the node's sealed gate
 * does not apply (like `/health`), so operators can unseal from it.
 */
function consoleRouter(): Router {
  return pageRouter('console', 'console', 'no-store');
}

interface ReportOptions {
  /** A folder holding the auditor's `report.json` and/or `report.html` (`custodes audit report --out`). */
  readonly dir?: string;
  /** The report.json to chart; overrides `dir`. */
  readonly json?: string;
  /** The report.html to serve as is; overrides `dir`. */
  readonly html?: string;
}

/** A regular file at `path`, or undefined; read at each request so a regenerated report shows at once. */
function fileIfPresent(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The transparency report at `/report/`: the auditor's report.html if there is
 * one, else our chart page over report.json. `/report/charts.html` is always
 * the chart page; `/report/report.json` is the data (404 `NO_REPORT` if none).
 */
function reportRouter(options: ReportOptions = {}): Router {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  for (const key of ['dir', 'json', 'html'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) throw new TypeError(`options.${key} must be a non-empty path`);
  }
  const dir = options.dir === undefined ? undefined : resolve(options.dir);
  const jsonPath = options.json !== undefined ? resolve(options.json) : dir && join(dir, 'report.json');
  const htmlPath = options.html !== undefined ? resolve(options.html) : dir && join(dir, 'report.html');
  const chartPage = join(PUBLIC_DIR, 'report', 'charts.html');

  const r = pageRouter('report', 'report', 'no-cache');
  // Routes before the static handler: `/report/` is not public/report/index.html.
  const front = Router();
  front.get('/report/', (req, res, next) => {
    if (req.path !== '/report/') return next();
    const html = fileIfPresent(htmlPath);
    if (html) {
      securityHeaders(res, REPORT_HTML_CSP, 'no-cache');
      res.type('html').send(readFileSync(html));
      return;
    }
    securityHeaders(res, PAGE_CSP, 'no-cache');
    res.sendFile(chartPage);
  });
  front.get('/report/report.json', (req, res, next) => {
    if (req.path !== '/report/report.json') return next();
    const json = fileIfPresent(jsonPath);
    securityHeaders(res, PAGE_CSP, 'no-cache');
    if (!json) {
      res.status(404).json({ error: { code: 'NO_REPORT', message: 'no report.json has been configured or generated yet' } });
      return;
    }
    res.type('json').send(readFileSync(json));
  });
  front.use(r);
  return front;
}

export { consoleRouter, explorerRouter, PAGE_CSP, PUBLIC_DIR, REPORT_HTML_CSP, reportRouter, rootRedirect, type ReportOptions };

/**
 * @custodes/web: the static pages (plain ES modules, no build step) and the
 * express Routers that serve them, each mountable with one line:
 *
 *   app.use(explorerRouter());          // coordinator: /explorer/ (public log explorer)
 *   app.use(reportRouter({ dir }));     // coordinator: /report/ (transparency report)
 *   app.use(consoleRouter());           // custodian: /console/ (operator console)
 *   app.use(rootRedirect('explorer'));  // `/` → the service's page
 *
 * The pages call the service's own API by relative URL, so they work under
 * any mount prefix. Every page is served with a strict Content-Security-Policy
 * (own scripts only, no inline script or style, same-origin fetches only).
 */
export { consoleRouter, explorerRouter, PAGE_CSP, PUBLIC_DIR, REPORT_HTML_CSP, reportRouter, rootRedirect, type ReportOptions } from './routers';

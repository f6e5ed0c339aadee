/**
 * The dashboard's stylesheet, inlined in every page's <style> and allowed by its SHA-256 hash in
 * the CSP (no 'unsafe-inline'). Colours meet WCAG AA contrast on their backgrounds; status is
 * never told by colour alone (every badge has a word). Narrow screens: one column, tables scroll
 * inside their own region.
 */
export const CSS = `
:root{--fg:#1b1f24;--muted:#4a5563;--bg:#fff;--panel:#f5f7fa;--line:#d0d7de;--accent:#1d4ed8;--accent-fg:#fff;
--ok:#067647;--ok-bg:#e7f6ec;--warn:#8a5a00;--warn-bg:#fff4d6;--bad:#b42318;--bad-bg:#fdecea;--focus:#1e3a8a;--focus-dark:#fbbf24}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header.top :focus-visible{outline-color:var(--focus-dark)}
.skip{position:absolute;left:-999px;top:0;background:var(--fg);color:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:0}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#0f172a;color:#fff}
header.top a{color:#fff;text-decoration:none;font-weight:600}
header.top .who{display:flex;gap:.75rem;align-items:center;font-size:.9rem}
header.top button{background:transparent;color:#fff;border:1px solid #94a3b8}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
nav.crumbs ol{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem;padding:0;margin:0 0 .5rem;font-size:.9rem}
nav.crumbs li+li::before{content:"/";margin-right:.25rem;color:var(--muted)}
nav.tabs ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem;padding:0;margin:0 0 1rem;border-bottom:1px solid var(--line)}
nav.tabs a{display:block;padding:.5rem .75rem;text-decoration:none;border-radius:.4rem .4rem 0 0}
nav.tabs a[aria-current=page]{background:var(--panel);border:1px solid var(--line);border-bottom-color:var(--panel);color:var(--fg);font-weight:600}
.muted,.help{color:var(--muted)}
nav.pager{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.help{font-size:.9rem;margin:.15rem 0 .35rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:1rem;background:var(--bg);margin:0 0 1rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr))}
.charts{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr))}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
.field{margin:0 0 1rem}
.field>label,legend{display:block;font-weight:600}
.req{font-weight:400;color:var(--muted)}
input[type=text],input[type=url],input[type=email],input[type=number],input[type=date],input[type=password],select,textarea{
display:block;width:100%;max-width:40rem;padding:.5rem;border:1px solid #6b7280;border-radius:.35rem;font:inherit;color:inherit;background:#fff}
textarea.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem}
input[type=checkbox]{width:1.15rem;height:1.15rem;margin:.2rem .5rem 0 0;vertical-align:top}
.check{display:flex;align-items:flex-start;flex-wrap:wrap;margin:.25rem 0}
.check>.help,.check>.error-text{flex-basis:100%}
fieldset{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem;max-width:44rem}
.invalid input,.invalid select,.invalid textarea,[aria-invalid=true]{border-color:var(--bad);border-width:2px}
.error-text{color:var(--bad);font-weight:600;margin:.15rem 0 .35rem}
.error-summary{border:3px solid var(--bad);padding:.75rem 1rem;border-radius:.5rem;margin:0 0 1rem}
.error-summary h2{margin-top:0;font-size:1.1rem}
.notice{border-left:6px solid var(--ok);background:var(--ok-bg);padding:.6rem 1rem;margin:0 0 1rem}
.notice>:first-child{margin-top:0}
.notice>:last-child{margin-bottom:0}
.notice.bad{border-color:var(--bad);background:var(--bad-bg)}
button,.button{display:inline-block;padding:.5rem 1rem;border-radius:.35rem;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;cursor:pointer;text-decoration:none;white-space:nowrap}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.table-wrap{overflow-x:auto;margin:0 0 1rem;border:1px solid var(--line);border-radius:.5rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--panel)}
tbody tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:var(--panel);padding:.5rem;border-radius:.35rem;overflow-x:auto;max-width:100%;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}
.badge.off{color:var(--muted);background:var(--panel)}
.stat{font-size:1.6rem;font-weight:700}
figure{margin:0 0 1rem}
figcaption{font-weight:600;margin:0 0 .25rem}
svg.chart{width:100%;height:auto;max-width:36rem;display:block}
svg.strip{display:block;max-width:100%;height:auto}
svg.chart text{font:12px system-ui,sans-serif;fill:#374151}
details{margin:.5rem 0}
summary{cursor:pointer;color:var(--accent);font-weight:600}
.login{max-width:32rem}
@media (max-width:40rem){main{padding:.75rem}h1{font-size:1.35rem}th,td{padding:.4rem}.hide-narrow{display:none}}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`.trim();

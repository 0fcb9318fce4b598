/**
 * A self-contained HTML page that renders `/openapi.json`: every operation with its auth, path and
 * query parameters, request and response schemas (links to the component schemas), and the schemas
 * with their fields and descriptions. Why hand-written vanilla JS: the edge runs where there is no
 * CDN and no internet, and the page must not pull third-party code into the API's origin.
 * All text from the spec is inserted with `textContent`, never as HTML.
 */
export function renderDocsPage(specUrl = "/openapi.json"): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop mesh API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
section.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0;padding:12px 16px}
.m{display:inline-block;min-width:64px;font-weight:700;font-family:monospace}
.GET{color:#0a7d38}.POST{color:#1d5fd1}.PUT{color:#a05a00}.PATCH{color:#7a3fb8}.DELETE{color:#c22}
code,.path{font-family:ui-monospace,monospace}.path{font-weight:600}
.auth{float:right;font-size:12px;padding:2px 8px;border-radius:10px;background:#eef}
.public{background:#e6f6ec}p.d{white-space:pre-wrap;margin:6px 0;color:#444}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border-top:1px solid #eee;text-align:left;padding:4px 6px;vertical-align:top;font-size:14px}
h2{margin-top:32px}h3{font-size:15px;margin:10px 0 2px}
</style>
</head>
<body>
<header><h1 id="title">Shop mesh API</h1><div id="version"></div></header>
<main><p id="intro"></p><p>Machine-readable spec: <a href="${specUrl}">${specUrl}</a></p>
<h2>Operations</h2><div id="ops">Loading…</div><h2>Schemas</h2><div id="schemas"></div></main>
<script>
"use strict";
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const refName = (ref) => ref.split("/").pop();
function typeText(s) {
  if (!s) return "any";
  if (s.$ref) return refName(s.$ref);
  if (s.type === "array") return typeText(s.items) + "[]";
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") return "map<string, " + typeText(s.additionalProperties) + ">";
  const t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any");
  return s.format ? t + " (" + s.format + ")" : t;
}
function typeNode(s) {
  const target = s && (s.$ref || (s.items && s.items.$ref));
  if (!target) return el("code", "", typeText(s));
  const a = el("a", "", typeText(s)); a.href = "#schema-" + refName(target); return a;
}
function table(rows, head) {
  const t = el("table"); const h = el("tr");
  for (const c of head) h.appendChild(el("th", "", c));
  t.appendChild(h);
  for (const r of rows) { const tr = el("tr"); for (const c of r) { const td = el("td"); td.appendChild(typeof c === "string" ? el("span", "", c) : c); tr.appendChild(td); } t.appendChild(tr); }
  return t;
}
function render(spec) {
  document.getElementById("title").textContent = spec.info.title;
  document.getElementById("version").textContent = "version " + spec.info.version + " · OpenAPI " + spec.openapi;
  document.getElementById("intro").textContent = spec.info.description || "";
  const ops = document.getElementById("ops"); ops.textContent = "";
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const s = el("section", "op"); const M = method.toUpperCase();
      const pub = Array.isArray(op.security) && op.security.length === 0;
      const roles = op["x-required-roles"];
      s.appendChild(el("span", "auth" + (pub ? " public" : ""), pub ? "public" : roles ? "bearer token · role " + roles.join(", ") : "bearer token"));
      s.appendChild(el("span", "m " + M, M)); s.appendChild(el("span", "path", path));
      s.appendChild(el("p", "d", op.description || op.summary || ""));
      if (op.parameters && op.parameters.length) {
        s.appendChild(el("h3", "", "Parameters"));
        s.appendChild(table(op.parameters.map((p) => [el("code", "", p.name), p.in + (p.required ? ", required" : ""), typeNode(p.schema), p.description || ""]), ["name", "in", "type", "description"]));
      }
      if (op.requestBody) {
        s.appendChild(el("h3", "", "Request body"));
        const schema = op.requestBody.content["application/json"].schema;
        if (schema.$ref) s.appendChild(typeNode(schema));
        else s.appendChild(table(Object.entries(schema.properties || {}).map(([n, f]) => [el("code", "", n), typeNode(f), f.description || ""]), ["field", "type", "description"]));
      }
      const ok = op.responses["200"];
      if (ok && ok.content) { s.appendChild(el("h3", "", "Response 200")); s.appendChild(typeNode(ok.content["application/json"].schema)); }
      s.appendChild(el("h3", "", "Errors")); s.appendChild(el("span", "", Object.keys(op.responses).filter((c) => c !== "200").join(", ") + " → Error"));
      ops.appendChild(s);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    const s = el("section", "op"); s.id = "schema-" + name;
    s.appendChild(el("span", "path", name));
    if (schema.description) s.appendChild(el("p", "d", schema.description));
    if (schema.properties) {
      const req = new Set(schema.required || []);
      s.appendChild(table(Object.entries(schema.properties).map(([n, f]) => [el("code", "", n), typeNode(f), (req.has(n) ? "required. " : "") + (f.readOnly ? "output only. " : "") + (f.description || "")]), ["field", "type", "description"]));
    }
    schemas.appendChild(s);
  }
}
fetch(${JSON.stringify(specUrl)}).then((r) => r.json()).then(render, (e) => { document.getElementById("ops").textContent = "Could not load the spec: " + e; });
</script>
</body>
</html>
`;
}

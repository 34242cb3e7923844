// The page of churn serve. Every value from the server is put on the page
// with textContent or setAttribute, never as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const FILTERS = ["segment", "risk", "value_tier", "region", "plan", "min_value", "min_risk", "q"];
const NUMERIC = new Set(["churn_probability", "predicted_value", "value_at_risk"]);
const LABELS = {
  customer_id: "customer", segment: "segment", churn_probability: "churn probability",
  predicted_value: "predicted value", value_at_risk: "value at risk", churn_risk: "risk",
  value_tier: "value tier", region: "region", plan: "plan", reason_1: "main reason",
};

const state = { asOf: "", sort: "value_at_risk", page: 0, size: 50, total: 0, selected: "" };

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function showError(msg) {
  const e = $("error");
  e.textContent = msg;
  e.hidden = !msg;
}

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function money(s) {
  if (s === "" || s === undefined) return "";
  const v = Number(s);
  return v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function pct(s) {
  if (s === "" || s === undefined) return "";
  return (Number(s) * 100).toFixed(1) + "%";
}

function params() {
  const p = new URLSearchParams();
  p.set("as_of", state.asOf);
  for (const f of FILTERS) {
    const v = $(f).value.trim();
    if (v !== "") p.set(f, v);
  }
  p.set("sort", state.sort);
  return p;
}

function fillSelect(id, values) {
  const s = $(id);
  for (const v of values || []) {
    const o = el("option", v.replaceAll("_", " "));
    o.value = v;
    s.appendChild(o);
  }
}

function drawChart(segments) {
  const svg = $("chart");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 760, rowH = 30, left = 150, right = 230;
  svg.setAttribute("viewBox", `0 0 ${W} ${segments.length * rowH + 10}`);
  svg.style.height = (segments.length * rowH + 10) + "px";
  const max = Math.max(1, ...segments.map(s => s.value_at_risk));
  segments.forEach((s, i) => {
    const y = 5 + i * rowH;
    const g = document.createElementNS(SVG, "g");
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", left - 8);
    label.setAttribute("y", y + rowH / 2 + 4);
    label.setAttribute("text-anchor", "end");
    label.textContent = s.segment.replaceAll("_", " ");
    const bar = document.createElementNS(SVG, "rect");
    const w = Math.max(s.value_at_risk > 0 ? 2 : 0, (W - left - right) * s.value_at_risk / max);
    bar.setAttribute("x", left);
    bar.setAttribute("y", y + 4);
    bar.setAttribute("width", w);
    bar.setAttribute("height", rowH - 8);
    bar.setAttribute("class", "bar" + ((s.id || "").startsWith("at_risk") ? " risk" : "") + (s.segment === $("segment").value ? " selected" : ""));
    bar.setAttribute("data-segment", s.segment);
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${s.segment}: ${s.customers} customers, ${money(s.value_at_risk)} at risk`;
    bar.appendChild(title);
    bar.addEventListener("click", () => { $("segment").value = s.segment; state.page = 0; refresh(); });
    const value = document.createElementNS(SVG, "text");
    value.setAttribute("x", left + w + 6);
    value.setAttribute("y", y + rowH / 2 + 4);
    value.textContent = `${money(s.value_at_risk)} at risk · ${s.customers.toLocaleString("en-US")} customers`;
    g.append(label, bar, value);
    svg.appendChild(g);
  });
}

function drawHeader(columns) {
  const tr = document.querySelector("#rows thead tr");
  while (tr.firstChild) tr.removeChild(tr.firstChild);
  for (const c of columns) {
    const th = el("th", LABELS[c] || c, NUMERIC.has(c) ? "num" : "");
    th.dataset.col = c;
    const cur = state.sort.replace(/^[+-]/, "");
    if (cur === c) th.classList.add("sorted");
    if (cur === c && state.sort.startsWith("+")) th.classList.add("asc");
    th.title = "sort by " + (LABELS[c] || c);
    th.addEventListener("click", () => {
      state.sort = cur === c && !state.sort.startsWith("+") ? "+" + c : c;
      state.page = 0;
      loadTable();
    });
    tr.appendChild(th);
  }
}

let tableRequest = 0;

async function loadTable() {
  // Answers may arrive out of order: only the latest request's is drawn.
  const mine = ++tableRequest;
  const p = params();
  p.set("page", state.page);
  p.set("size", state.size);
  let res;
  try {
    res = await getJSON("/api/customers?" + p.toString());
  } catch (e) {
    if (mine === tableRequest) showError(e.message);
    return;
  }
  if (mine !== tableRequest) return;
  showError("");
  state.total = res.total;
  drawHeader(res.columns);
  const tbody = document.querySelector("#rows tbody");
  while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
  for (const row of res.rows) {
    const tr = el("tr");
    tr.dataset.id = row.customer_id;
    if (row.customer_id === state.selected) tr.classList.add("selected");
    // The whole row opens the customer: reasons, facts and history.
    tr.addEventListener("click", () => openCustomer(row.customer_id));
    for (const c of res.columns) {
      let td;
      if (c === "customer_id") {
        td = el("td");
        const a = el("a", row[c], "cust");
        a.href = "#customer=" + encodeURIComponent(row[c]);
        a.addEventListener("click", ev => { ev.preventDefault(); ev.stopPropagation(); openCustomer(row[c]); });
        td.appendChild(a);
      } else if (c === "churn_probability") {
        td = el("td", pct(row[c]), "num");
      } else if (NUMERIC.has(c)) {
        td = el("td", money(row[c]), "num");
      } else if (c === "reason_1") {
        td = el("td", row[c], "reason");
      } else {
        td = el("td", (row[c] || "").replaceAll("_", " "));
      }
      td.dataset.col = c;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  const pages = Math.max(1, Math.ceil(res.total / res.size));
  $("status").textContent = `${res.total.toLocaleString("en-US")} customers match`;
  $("pageinfo").textContent = `page ${res.page + 1} of ${pages}`;
  $("prev").disabled = res.page === 0;
  $("next").disabled = res.page + 1 >= pages;
  // Downloads are for spreadsheets: a byte order mark, so that Excel
  // reads UTF-8 ("São Paulo"), and the locales' delimiters.
  $("download").href = res.download + "&bom=1";
  $("download-comma").href = res.download + "&bom=1&decimal=comma";
  $("download-xlsx").href = res.download.replace("/download.csv?", "/download.xlsx?");
}

async function openCustomer(id) {
  let c;
  try {
    c = await getJSON("/api/customer/" + encodeURIComponent(id) + "?as_of=" + encodeURIComponent(state.asOf));
  } catch (e) {
    showError(e.message);
    return;
  }
  showError("");
  state.selected = id;
  for (const tr of document.querySelectorAll("#rows tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.id === id);
  }
  $("detail").hidden = false;
  $("detail-title").textContent = "Customer " + c.customer_id;
  const dl = $("detail-fields");
  while (dl.firstChild) dl.removeChild(dl.firstChild);
  const f = c.fields;
  const shown = [["segment", (f.segment || "").replaceAll("_", " ")], ["churn probability", pct(f.churn_probability)],
    ["churn risk", f.churn_risk], ["predicted value", money(f.predicted_value)], ["value at risk", money(f.value_at_risk)],
    ["value tier", f.value_tier], ["plan", f.plan], ["region", f.region], ["run", c.as_of]];
  for (const [k, v] of shown) dl.append(el("dt", k), el("dd", v));
  const ol = $("detail-reasons");
  while (ol.firstChild) ol.removeChild(ol.firstChild);
  for (const r of c.reasons) ol.appendChild(el("li", r));
  if (c.reasons.length === 0) ol.appendChild(el("li", "no reason recorded"));
  const tb = document.querySelector("#detail-facts tbody");
  while (tb.firstChild) tb.removeChild(tb.firstChild);
  for (const fact of c.facts || []) {
    const tr = el("tr");
    tr.dataset.fact = fact.name;
    const p = fact.percentile;
    const bar = el("div", null, "pbar");
    const fill = el("div");
    fill.style.width = (p === null ? 0 : p) + "%";
    bar.appendChild(fill);
    const pctCell = el("td", p === null ? "" : p.toFixed(0) + "%", "num");
    pctCell.appendChild(bar);
    tr.append(el("td", fact.name.replaceAll("_", " ")), el("td", fact.value === "" ? "missing" : fact.value, "num"), pctCell);
    tb.appendChild(tr);
  }
  const hb = document.querySelector("#detail-history tbody");
  while (hb.firstChild) hb.removeChild(hb.firstChild);
  for (const h of c.history || []) {
    const tr = el("tr");
    tr.append(el("td", h.as_of), el("td", h.segment.replaceAll("_", " ")), el("td", pct(h.churn_probability), "num"),
      el("td", money(h.value_at_risk), "num"));
    tr.title = h.reason;
    hb.appendChild(tr);
  }
  // On a narrow screen the detail sits below the table: bring it into view.
  if (window.matchMedia("(max-width: 1100px)").matches) $("detail").scrollIntoView({ block: "start" });
}

function refresh() {
  loadTable();
  for (const b of document.querySelectorAll("#chart .bar")) {
    b.classList.toggle("selected", b.getAttribute("data-segment") === $("segment").value);
  }
}

async function init() {
  let s;
  try {
    s = await getJSON("/api/summary");
  } catch (e) {
    showError(e.message);
    return;
  }
  state.asOf = s.as_of;
  state.size = s.page_size;
  $("run").textContent = `Run of ${s.as_of} · model ${s.model_version || "unknown"}${s.algo ? " (" + s.algo + ")" : ""} · ${s.customers.toLocaleString("en-US")} customers scored`;
  fillSelect("segment", s.values.segment);
  fillSelect("risk", s.values.churn_risk);
  fillSelect("value_tier", s.values.value_tier);
  fillSelect("region", s.values.region);
  fillSelect("plan", s.values.plan);
  drawChart(s.segments);
  $("filters").addEventListener("submit", ev => { ev.preventDefault(); state.page = 0; refresh(); });
  for (const id of ["segment", "risk", "value_tier", "region", "plan"]) {
    $(id).addEventListener("change", () => { state.page = 0; refresh(); });
  }
  $("prev").addEventListener("click", () => { if (state.page > 0) { state.page--; loadTable(); } });
  $("next").addEventListener("click", () => { state.page++; loadTable(); });
  await loadTable();
  document.body.dataset.ready = "1";
}

init();

// The review page: score a page, see every block coloured by P(story), flip labels, save, export.
// Plain JavaScript, no build step; every call to /v1/review sends the key typed above as X-API-Key.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { page: null, labels: {}, selected: -1, dirty: false };

function apiKey() { return $("api-key").value.trim(); }

async function api(method, path, body) {
  const headers = {};
  if (apiKey()) headers["X-API-Key"] = apiKey();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { const err = (await response.json()).error; message = err.code + ": " + err.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function status(message, isError) {
  const el = $("status");
  el.textContent = message;
  el.className = isError ? "error" : "";
}

function threshold() { return parseFloat($("threshold").value); }
function modelLabel(block) { return block.score >= threshold() ? "story" : "boilerplate"; }
function effective(block) { return state.labels[block.index] || modelLabel(block); }

// Red (clutter) through amber to green (story), by score.
function colour(score) { return "hsl(" + Math.round(score * 130) + ", 70%, 38%)"; }

function terms(list, cls, sign) {
  return list.map((t) => {
    const span = document.createElement("span");
    span.className = cls + (t.kind === "dom" ? " dom" : "");
    span.textContent = sign + t.feature;
    span.title = (t.kind === "dom" ? "DOM token" : "words") + ": " + (t.contribution > 0 ? "+" : "") + t.contribution.toFixed(3) + " to the logit";
    return span;
  });
}

function explanationLine(block) {
  const e = block.explanation;
  const why = document.createElement("span");
  why.className = "why";
  if (!e) { why.textContent = "(no explanation: the page is shown as stored)"; return why; }
  const parts = [...terms(e.words_up, "up", "+"), ...terms(e.words_down, "down", "\u2212")];
  parts.forEach((p, i) => { if (i) why.append(" "); why.append(p); });
  const shift = document.createElement("span");
  shift.className = "ctx";
  shift.textContent = "  context " + (e.context_shift >= 0 ? "+" : "") + e.context_shift.toFixed(2);
  shift.title = "How far the context stage (neighbours, container, page) moved the logit from the block's own features (" +
    e.stage1_logit.toFixed(2) + " \u2192 " + e.final_logit.toFixed(2) + ")";
  why.append(shift);
  return why;
}

// Builds the list once per page; update() then only changes classes (a flip or the slider
// touches no text, so a page of thousands of blocks stays quick).
function render() {
  const list = $("blocks");
  list.replaceChildren();
  if (state.page) {
    for (const block of state.page.blocks) list.append(blockItem(block));
  }
  update();
}

function blockItem(block) {
  const li = document.createElement("li");
  li.dataset.index = block.index;
  li.style.setProperty("--c", colour(block.score));
  li.title = block.path || "(text mode: no DOM path)";
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = block.score.toFixed(2);
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = block.kind;
  score.append(kind);
  const body = document.createElement("div");
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = block.text;
  body.append(text, explanationLine(block));
  li.append(score, body);
  li.addEventListener("click", () => { select(block.index); flip(block.index); });
  return li;
}

function update() {
  if (!state.page) { $("summary").textContent = ""; $("save-btn").disabled = true; return; }
  const items = $("blocks").children;
  let kept = 0;
  state.page.blocks.forEach((block, i) => {
    const li = items[i];
    const label = effective(block);
    const flipped = Boolean(state.labels[block.index]) && state.labels[block.index] !== modelLabel(block);
    li.className = "block " + (label === "story" ? "kept" : "dropped") + (flipped ? " flipped" : "") +
      (block.index === state.selected ? " selected" : "");
    li.dataset.label = label + (flipped ? " (your label)" : "");
    if (label === "story") kept += 1;
  });
  const changed = Object.keys(state.labels).filter((i) => state.labels[i] !== modelLabel(state.page.blocks[i])).length;
  $("summary").textContent = kept + " of " + state.page.blocks.length + " blocks kept, " + changed + " flipped" +
    (state.page.page_id ? "" : " (not stored)") + (state.dirty ? ", unsaved" : "");
  $("save-btn").disabled = !state.page.page_id;
}

function show(page, selected) {
  state.page = page;
  state.labels = {};
  for (const b of page.blocks) if (b.reviewer_label) state.labels[b.index] = b.reviewer_label;
  state.selected = selected === undefined ? (page.blocks.length ? 0 : -1) : selected;
  state.dirty = false;
  $("threshold").value = page.threshold;
  $("threshold-value").textContent = page.threshold.toFixed(2);
  $("model-name").textContent = page.model.name + " " + page.model.version;
  render();
  scrollToSelected();
}

function select(index) {
  state.selected = index;
  update();
  scrollToSelected();
}

function scrollToSelected() {
  const el = document.querySelector('.block[data-index="' + state.selected + '"]');
  if (el) el.scrollIntoView({ block: "nearest" });
}

function flip(index) {
  const block = state.page && state.page.blocks[index];
  if (!block) return;
  state.labels[index] = effective(block) === "story" ? "boilerplate" : "story";
  state.dirty = true;
  update();
}

// Leaving a page with unsaved flips asks first: they exist only in this tab.
function mayLeave() {
  return !state.dirty || window.confirm("Your flips on this page are not saved. Leave them?");
}
window.addEventListener("beforeunload", (event) => { if (state.dirty) event.preventDefault(); });

async function score() {
  if (!mayLeave()) return;
  const page = $("page-input").value;
  if (!page.trim()) { status("paste a page first", true); return; }
  let mode = $("mode-select").value;
  if (mode === "auto") mode = /^\s*</.test(page) ? "html" : "text";
  const body = { [mode]: page };
  if ($("url-input").value.trim()) body.url = $("url-input").value.trim();
  status("scoring\u2026");
  try {
    const result = await (await api("POST", "/v1/review/score", body)).json();
    show(result);
    status("scored " + result.blocks.length + " blocks; stored as page " + result.page_id);
    loadPages();
  } catch (err) { status(err.message, true); }
}

async function save() {
  if (!state.page || !state.page.page_id) return;
  const labels = state.page.blocks.map((b) => ({ position: b.index, label: effective(b) }));
  // Refused (409) if someone saved this page after it was opened here: their labels are not undone.
  const body = { labels, if_unchanged_since: state.page.reviewed || 0 };
  try {
    const result = await (await api("PUT", "/v1/review/pages/" + state.page.page_id + "/labels", body)).json();
    state.page.reviewed = result.reviewed;
    for (const l of labels) state.labels[l.position] = l.label;
    state.dirty = false;
    update();
    status("saved: " + result.labelled + " blocks labelled, " + result.corrected + " corrected");
    loadPages();
  } catch (err) { status(err.message, true); }
}

async function loadPages() {
  try {
    const result = await (await api("GET", "/v1/review/pages?limit=200")).json();
    const select = $("pages-select");
    const current = select.value;
    select.replaceChildren();
    for (const p of result.pages) {
      const option = document.createElement("option");
      option.value = p.page_id;
      const name = p.ref || p.url || p.page_id.slice(0, 8);
      option.textContent = name + " \u00b7 " + p.blocks + " blocks" + (p.reviewed ? " \u00b7 reviewed" : "");
      select.append(option);
    }
    if (current) select.value = current;
  } catch (err) { status(err.message, true); }
}

async function openPage(pageId, selected) {
  if (!pageId || !mayLeave()) return;
  try {
    show(await (await api("GET", "/v1/review/pages/" + pageId)).json(), selected);
    status("opened page " + pageId + (state.page.stale ? " (as stored: the live model cuts it differently)" : ""));
  } catch (err) { status(err.message, true); }
}

async function loadQueue() {
  try {
    const result = await (await api("GET", "/v1/review/queue?limit=30")).json();
    const list = $("queue-list");
    list.replaceChildren();
    for (const item of result.items) {
      const li = document.createElement("li");
      li.textContent = item.score.toFixed(2) + "  " + item.text.slice(0, 70);
      li.title = (item.ref || item.url || item.page_id) + " \u00b7 block " + item.position;
      li.addEventListener("click", () => openPage(item.page_id, item.position));
      list.append(li);
    }
    status(result.items.length ? "queue: the blocks the model is least sure about" : "queue is empty");
  } catch (err) { status(err.message, true); }
}

async function deletePage() {
  if (!state.page || !state.page.page_id) return;
  if (!window.confirm("Delete this page and its labels from the feedback store?")) return;
  try {
    await api("DELETE", "/v1/review/pages/" + state.page.page_id);
    status("deleted page " + state.page.page_id);
    state.page = null;
    render();
    loadPages();
  } catch (err) { status(err.message, true); }
}

async function exportFeedback() {
  try {
    const text = await (await api("GET", "/v1/review/export?format=" + $("export-format").value)).text();
    $("export-output").textContent = text;
    const rows = text.split("\n").filter(Boolean).length;
    status("exported " + rows + " rows");
  } catch (err) { status(err.message, true); }
}

document.addEventListener("keydown", (event) => {
  const tag = event.target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (!state.page) return;
  const n = state.page.blocks.length;
  if (event.key === "j") select(Math.min(n - 1, state.selected + 1));
  else if (event.key === "k") select(Math.max(0, state.selected - 1));
  else if (event.key === " ") flip(state.selected);
  else if (event.key === "s") save();
  else return;
  event.preventDefault();
});

$("threshold").addEventListener("input", () => {
  $("threshold-value").textContent = threshold().toFixed(2);
  update();
});
$("score-btn").addEventListener("click", score);
$("save-btn").addEventListener("click", save);
$("open-btn").addEventListener("click", () => openPage($("pages-select").value));
$("refresh-btn").addEventListener("click", loadPages);
$("queue-btn").addEventListener("click", loadQueue);
$("delete-btn").addEventListener("click", deletePage);
$("export-btn").addEventListener("click", exportFeedback);
$("api-key").value = sessionStorage.getItem("storyfilter-key") || "";
$("api-key").addEventListener("change", () => {
  sessionStorage.setItem("storyfilter-key", apiKey());
  loadPages();
});
loadPages().then(() => { if (location.pathname.endsWith("/queue")) loadQueue(); });

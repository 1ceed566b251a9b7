// The notebook widget's browser side (anywidget; explorer/present/widget_view.py is its
// Python side). Three tabs: Signatures (every signature with TF Serving's verdicts, the
// chosen one's TensorInfos), Graph (the app's drawing) and Run (a form, the answer).
// The graph is drawn by the app's own script, graph_view.js: it arrives as text (the
// _graph_js trait) and is imported from a Blob URL as it is, then mounted with its
// documented mount(root, send); its "clicked"/"goto" events go to Python, which answers
// with the next view (the graph trait). Python does all the work; this file only shows data.
// Model and server text is only ever set as textContent, never as markup.

const imports = new Map();  // one module per script text, shared by every widget on the page

function graphModule(text) {
  if (!imports.has(text)) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    imports.set(text, import(url).finally(() => URL.revokeObjectURL(url)));
  }
  return imports.get(text);
}

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") node.textContent = v;
    else if (k === "cls") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function table(headers, rows, cls) {
  const head = h("tr", {}, ...headers.map((text) => h("th", { text })));
  const body = rows.map((cells) => h("tr", {}, ...cells.map((c) =>
    c instanceof Node ? h("td", {}, c) : h("td", { text: c == null ? "" : String(c) }))));
  return h("table", { cls: "sew-table " + (cls || "") }, h("thead", {}, head), h("tbody", {}, ...body));
}

function verdictCell(verdict) {
  if (verdict.ok) return h("span", { cls: "sew-ok", text: "✓ accepted" });
  const cell = h("div", { cls: "sew-verdict" }, h("span", { cls: "sew-no", text: "✗ " + verdict.headline }));
  if (verdict.reason && verdict.reason !== verdict.headline) {
    cell.appendChild(h("details", {}, h("summary", { text: "TF Serving's message" }),
      h("pre", { cls: "sew-pre", text: verdict.reason })));
  }
  return cell;
}

// ---- Signatures ----

function signaturesPane(model) {
  const pane = h("div", { cls: "sew-pane" });
  const draw = () => {
    pane.replaceChildren();
    const overview = model.get("overview");
    const chosenTags = model.get("tag_set"), chosenKey = model.get("signature");
    for (const mg of overview.meta_graphs || []) {
      pane.appendChild(h("div", { cls: "sew-muted", text: `tag-set ${mg.tag_set} · ${mg.about}` }));
      const rows = mg.signatures.map((s) => [s.key, s.method_name, s.inputs, s.outputs,
        ...["classify", "regress", "predict"].map((api) =>
          s.init ? "initializer" : verdictCell(s.verdicts[api]))]);
      const t = table(["signature", "method_name", "inputs", "outputs", "Classify", "Regress",
        "Predict"], rows, "sew-pick");
      t.querySelectorAll("tbody tr").forEach((tr, i) => {
        const s = mg.signatures[i];
        if (s.key === chosenKey && mg.tag_set === chosenTags) tr.classList.add("sew-chosen");
        tr.title = "show this signature";
        tr.addEventListener("click", (e) => {
          if (e.target.closest("details")) return;  // opening a message is not a choice
          model.set("tag_set", mg.tag_set); model.set("signature", s.key); model.save_changes();
        });
      });
      pane.appendChild(t);
    }
    const d = model.get("details");
    if (!d || !d.key) return;
    pane.appendChild(h("h4", { text: `${d.key} · ${d.method_name}` }));
    const tensors = (list) => table(["key", "tensor", "dtype", "shape", "encoding"],
      list.map((t) => [t.key, t.tensor, t.dtype, t.shape, t.encoding]));
    pane.appendChild(h("div", { cls: "sew-label", text: "inputs" }));
    pane.appendChild(tensors(d.inputs));
    pane.appendChild(h("div", { cls: "sew-label", text: "outputs" }));
    pane.appendChild(tensors(d.outputs));
    pane.appendChild(table(["API", "TF Serving default", "method-name check on",
      "fails at request time"], d.verdicts.map((v) => [v.api, verdictCell(v.default),
      verdictCell(v.strict), v.request_time])));
  };
  for (const name of ["overview", "details", "signature", "tag_set"]) model.on(`change:${name}`, draw);
  draw();
  return pane;
}

// ---- Graph ----

function graphPane(model, signal) {
  const pane = h("div", { cls: "sew-pane" });
  const keys = h("select", { cls: "sew-select", title: "Highlight the path of a signature key" });
  const caption = h("div", { cls: "sew-muted" });
  const problem = h("div", { cls: "sew-warn" });
  const host = h("div", { cls: "sew-graph-host" });
  const fallback = h("div", {});
  host.innerHTML = model.get("_graph_html");  // the app's static markup (an asset), no data
  pane.append(h("label", { cls: "sew-inline" }, h("span", { text: "Highlight the path of " }), keys),
    host, fallback, caption, problem);
  keys.addEventListener("change", () => model.send({ type: "highlight", key: keys.value }));
  const root = host.querySelector(".se-graph");
  let view = null;
  const draw = () => {
    const data = model.get("graph") || {};
    caption.textContent = data.caption || "";
    problem.textContent = data.problem || "";
    fallback.replaceChildren();
    if (data.error) {
      host.style.display = "none";
      fallback.appendChild(h("div", { cls: "sew-error", text: data.error }));
      if (data.dot) fallback.appendChild(h("details", {}, h("summary", { text: "DOT" }),
        h("pre", { cls: "sew-pre", text: data.dot })));
      return;
    }
    host.style.display = "";
    const wanted = ["", ...(data.keys || [])];
    if (keys.options.length !== wanted.length || [...keys.options].some((o, i) => o.value !== wanted[i])) {
      keys.replaceChildren(...wanted.map((k) => h("option", { value: k, text: k || "(no key)" })));
    }
    keys.value = data.highlight || "";
    if (view) view.show(data);
  };
  graphModule(model.get("_graph_js")).then((mod) => {
    if (signal.aborted) return;
    view = mod.mount(root, (event, value) =>
      model.send({ type: "graph", event, id: value && value.id }));
    draw();
  }, (err) => {
    fallback.appendChild(h("div", { cls: "sew-error", text: `The drawing did not load: ${err}` }));
  });
  model.on("change:graph", draw);
  draw();
  return pane;
}

// ---- Run ----

function runPane(model) {
  const pane = h("div", { cls: "sew-pane" });
  const methods = h("div", { cls: "sew-radios", role: "radiogroup" });
  const rejected = h("div", { cls: "sew-warn" });
  const modes = h("div", { cls: "sew-radios" });
  const formArea = h("div", { cls: "sew-form" });
  const jsonArea = h("textarea", { cls: "sew-json", rows: "12", spellcheck: "false" });
  const runButton = h("button", { cls: "sew-run", text: "Run" });
  const status = h("span", { cls: "sew-muted" });
  const answerArea = h("div", { cls: "sew-answer" });
  pane.append(methods, rejected, modes, formArea, jsonArea, h("div", { cls: "sew-actions" },
    runButton, status), answerArea);
  const state = { method: null, mode: "form", rows: [], inputs: {}, signature: null };

  const radio = (group, name, value, label, checked, onChange) => {
    const input = h("input", { type: "radio", name, value });
    input.checked = checked;
    input.addEventListener("change", onChange);
    return h("label", { cls: "sew-radio" }, input, h("span", { text: label }));
  };
  const uid = Math.random().toString(36).slice(2);

  const drawMethods = () => {
    const form = model.get("form");
    methods.replaceChildren(h("span", { cls: "sew-label", text: "TF Serving API" }),
      ...form.methods.map((m) => radio(methods, `m-${uid}`, m.value,
        m.value[0].toUpperCase() + m.value.slice(1) + (m.accepted ? "" : " (rejected)"),
        m.value === state.method, () => { state.method = m.value; drawAll(false); })));
    const chosen = form.methods.find((m) => m.value === state.method);
    rejected.textContent = chosen && !chosen.accepted
      ? `TF Serving rejects ${chosen.value} for this signature: ${chosen.reason.split("\n")[0]} `
        + "— Run sends it anyway, to show TF Serving's answer." : "";
    modes.replaceChildren(h("span", { cls: "sew-label", text: "Request" }),
      radio(modes, `r-${uid}`, "form", state.method === "predict" ? "Inputs" : "Example builder",
        state.mode === "form", () => { state.mode = "form"; drawAll(false); }),
      radio(modes, `r-${uid}`, "json", "REST JSON", state.mode === "json",
        () => { state.mode = "json"; drawAll(false); }));
  };

  const drawExamples = (form) => {
    if (!form.features.length) {
      formArea.appendChild(h("div", { cls: "sew-muted", text: "The graph shows no "
        + "ParseExample op to build examples from: write the request as REST JSON." }));
      return;
    }
    const lists = form.features.map((f, i) => {
      if (!f.words.length) return null;
      const id = `w-${uid}-${i}`;
      formArea.appendChild(h("datalist", { id }, ...f.words.map((w) => h("option", { value: w }))));
      return id;
    });
    const head = h("tr", {}, h("th", { text: "#" }), ...form.features.map((f) =>
      h("th", { title: f.about }, h("div", { text: f.name }), h("div", { cls: "sew-about", text: f.about }))));
    const body = state.rows.map((row, r) => h("tr", {}, h("td", { cls: "sew-muted", text: String(r) }),
      ...form.features.map((f, c) => {
        const input = h("input", { cls: "sew-cell", value: row[c] ?? "", "aria-label": `${f.name}, example ${r}` });
        if (lists[c]) input.setAttribute("list", lists[c]);
        input.addEventListener("input", () => { state.rows[r][c] = input.value; });
        return h("td", {}, input);
      })));
    formArea.appendChild(h("table", { cls: "sew-table sew-examples" }, h("thead", {}, head), h("tbody", {}, ...body)));
    formArea.appendChild(h("div", { cls: "sew-actions" },
      h("button", { text: "+ example", onclick: () => { state.rows.push(form.rows[0].slice()); drawAll(false); } }),
      h("button", { text: "− last", onclick: () => { if (state.rows.length > 1) state.rows.pop(); drawAll(false); } }),
      h("span", { cls: "sew-muted", text: "An empty cell leaves the feature out (its default applies); list features take JSON lists." })));
  };

  const drawInputs = (form) => {
    for (const input of form.inputs) {
      const field = input.fill ? h("input", { cls: "sew-cell sew-fill", value: state.inputs[input.key] })
        : h("textarea", { cls: "sew-json sew-input", rows: "3", spellcheck: "false" });
      if (!input.fill) field.value = state.inputs[input.key];
      field.addEventListener("input", () => { state.inputs[input.key] = field.value; });
      field.setAttribute("aria-label", `input ${input.key}`);
      formArea.appendChild(h("div", { cls: "sew-field" },
        h("div", {}, h("b", { text: input.key }), h("span", { cls: "sew-about", text: "  " + input.about })), field));
    }
  };

  const drawAll = (fresh) => {
    const form = model.get("form");
    if (!form || !form.methods) return;
    if (fresh || state.signature !== form.signature) {
      state.signature = form.signature; state.method = form.method; state.mode = "form";
      state.rows = form.rows.map((r) => r.slice());
      state.inputs = Object.fromEntries(form.inputs.map((i) => [i.key, i.text]));
      state.jsonFor = null;
    }
    drawMethods();
    formArea.replaceChildren();
    const json = state.mode === "json" || (state.method !== "predict" && !form.features.length);
    formArea.style.display = json ? "none" : "";
    jsonArea.style.display = json ? "" : "none";
    if (json && state.jsonFor !== state.method) {
      jsonArea.value = form.templates[state.method]; state.jsonFor = state.method;
    }
    if (!json) (state.method === "predict" ? drawInputs : drawExamples)(form);
  };

  runButton.addEventListener("click", () => {
    const json = jsonArea.style.display !== "none";
    status.textContent = "Running…";
    model.send({ type: "run", method: state.method, mode: json ? "json" : "form",
      rows: state.rows, inputs: state.inputs, text: jsonArea.value });
  });
  model.on("change:form", () => drawAll(true));
  model.on("change:busy", () => {
    runButton.disabled = model.get("busy");
    status.textContent = model.get("busy") ? "Running…" : "";
  });
  model.on("change:answer", () => { status.textContent = ""; drawAnswer(answerArea, model.get("answer")); });
  drawAll(true);
  drawAnswer(answerArea, model.get("answer"));
  return pane;
}

function drawAnswer(area, answer) {
  area.replaceChildren();
  if (!answer || answer.ok === undefined) return;
  if (!answer.ok) {
    area.appendChild(h("div", { cls: "sew-error" }, h("pre", { cls: "sew-pre", text: answer.error })));
    for (const problem of answer.problems || []) area.appendChild(h("div", { cls: "sew-error-line", text: problem }));
    if (answer.explanation) area.appendChild(h("div", { cls: "sew-note", text: answer.explanation }));
  } else {
    area.appendChild(h("div", { cls: "sew-muted", text: `${answer.method} on ${answer.signature} · ${answer.timing}` }));
    for (const chart of answer.charts) area.appendChild(barChart(chart));
    for (const t of answer.tables) {
      area.appendChild(h("div", { cls: "sew-label", text: t.name + (t.note ? `  (${t.note})` : "") }));
      area.appendChild(table(["", ...t.columns], t.rows.map((row, i) => [t.index[i], ...row])));
    }
  }
  if (answer.response) area.appendChild(h("details", { open: "" }, h("summary", { text: "TF Serving's response JSON" }),
    h("pre", { cls: "sew-pre sew-code", text: answer.response })));
  if (answer.request) area.appendChild(h("details", {}, h("summary", { text: "The request JSON sent" }),
    h("pre", { cls: "sew-pre sew-code", text: answer.request })));
}

function barChart(chart) {
  const box = h("div", { cls: "sew-chart" }, h("div", { cls: "sew-label", text: chart.title }));
  const all = chart.rows.flatMap((r) => r.bars.map((b) => Math.abs(b.value))).filter(Number.isFinite);
  const top = Math.max(...all, 1e-12);
  for (const row of chart.rows) {
    const group = h("div", { cls: "sew-bars" });
    if (row.label) group.appendChild(h("div", { cls: "sew-bars-label", text: row.label }));
    for (const bar of row.bars) {
      const width = Number.isFinite(bar.value) ? Math.max(0.5, (Math.abs(bar.value) / top) * 100) : 0;
      const fill = h("div", { cls: "sew-bar-fill" + (bar.value < 0 ? " sew-neg" : "") });
      fill.style.width = `${width}%`;
      group.appendChild(h("div", { cls: "sew-bar" }, h("span", { cls: "sew-bar-name", text: bar.label }),
        h("div", { cls: "sew-bar-track" }, fill),
        h("span", { cls: "sew-bar-value", text: Number(bar.value).toPrecision(4) })));
    }
    box.appendChild(group);
  }
  return box;
}

// ---- the widget ----

function render({ model, el }) {
  const controller = new AbortController();
  const header = h("div", { cls: "sew-head" });
  const drawHeader = () => {
    const o = model.get("overview");
    header.replaceChildren(h("b", { text: o.name }),
      h("span", { cls: "sew-muted", text: (o.version != null ? ` · version ${o.version}` : "")
        + ` · ${o.path} · variables ${o.variables}` }));
  };
  drawHeader();
  const panes = { Signatures: signaturesPane(model), Graph: graphPane(model, controller.signal),
    Run: runPane(model) };
  const chosen = h("span", { cls: "sew-chosen-sig" });
  const showChosen = () => { chosen.textContent = `${model.get("signature")} (tag-set ${model.get("tag_set")})`; };
  model.on("change:signature", showChosen);
  showChosen();
  const bar = h("div", { cls: "sew-tabs", role: "tablist" });
  const pick = (name) => {
    for (const [k, pane] of Object.entries(panes)) pane.style.display = k === name ? "" : "none";
    bar.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
  };
  for (const name of Object.keys(panes)) {
    const b = h("button", { role: "tab", text: name, onclick: () => pick(name) });
    b.dataset.tab = name;
    bar.appendChild(b);
  }
  bar.appendChild(chosen);
  el.classList.add("sew");
  el.append(header, bar, ...Object.values(panes));
  pick("Signatures");
  return () => controller.abort();
}

export default { render };

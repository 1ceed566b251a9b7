// The signature graph's drawing: plain JS, no library, one source for the Streamlit app,
// notebooks and the benchmark page. Data in, events out:
//   mount(root, send) → view;  view.show(data)
//   data = { scene: {width, height, boxes, frames, edges}  (explorer.graph.layout.scene_dict),
//            selected: box id | null, focus: {id, nonce} | null, highlight: key | null,
//            inspector: {title, lines, sections: [{title, rows: [{text, target, action}]}]} | null,
//            heat: {box id: [share of the slowest box 0..1, words]} | null  (a profile),
//            heat_legend: {title, max} | null  (the legend beside a profile's colours),
//            height: px, or "page": the frame fills the window below its top,
//            key: a name for this drawing (its view is remembered per key) }
//   send(name, value): "clicked" {id, t} for a box or a frame's title, "goto" {id, t} for a
//   link in the inspector, "action" {id, t} for an inspector row's action (e.g. a tap).
//   Model text is only ever set as textContent, never as markup.
// Streamlit calls the default export on every rerun with the latest data.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".se-graph");
  if (!root) return;
  if (!root.seView) root.seView = mount(root, setTriggerValue);
  root.seView.send = setTriggerValue;
  root.seView.show(data);
}

const SVG = "http://www.w3.org/2000/svg";
// The first view's zoom is at least this: box text at 10-11 px. A drawing bigger than the
// frame at that zoom opens on its input end (the overview shows the rest), not shrunk.
const READABLE = 1;
const PAGE_MIN_PX = 380, PAGE_MAX_PX = 1100;  // a "page" frame's height stays in this range
const PAD = 16;
const COLORS = {
  input_key: ["#d6e9ff", "#1f5fa8"], output_key: ["#ffe3c2", "#c2620a"],
  tensor: ["#fffbe0", "#b8a400"], op: ["#ffffff", "#8a8a8a"], const: ["#eeeeee", "#999999"],
  variable: ["#e3f2e1", "#5b8c55"], placeholder: ["#d6e9ff", "#1f5fa8"],
  function_call: ["#ece6f6", "#6a4fb0"], control_flow: ["#fff0dc", "#e07b00"],
  group: ["#f1f3f6", "#6b7785"], parameters: ["#eef5e6", "#5b8c55"],
};
const FRAME_COLORS = {
  function: ["#f8f5fd", "#6a4fb0"], control_flow: ["#fffaf2", "#e07b00"],
  scope: ["#fbfbfc", "#9aa3ad"], parameters: ["#f7fbf2", "#5b8c55"],
};
const GROUPS = new Set(["group", "function_call", "control_flow", "parameters"]);
const HEAT_FROM = [255, 247, 236], HEAT_TO = [214, 39, 40];  // no time → the slowest box

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// A name as text that may break after each "/", "_" or ":" (a <wbr> there) and nowhere
// else unless a part is longer than the line: "resnet50_1/conv4_block6_2_conv_1/…".
function breakable(node, text) {
  node.replaceChildren();
  const parts = String(text).split(/(?<=[/_:])/);
  parts.forEach((part, i) => {
    if (i) node.appendChild(document.createElement("wbr"));
    node.appendChild(document.createTextNode(part));
  });
  return node;
}

function curve(p) {
  if (p.length === 4) {
    const [x0, y0, x1, y1] = p, dx = Math.max(16, (x1 - x0) / 2);
    return `M${x0},${y0} C${x0 + dx},${y0} ${x1 - dx},${y1} ${x1},${y1}`;
  }
  let d = `M${p[0]},${p[1]}`;
  for (let i = 2; i < p.length; i += 2) d += ` L${p[i]},${p[i + 1]}`;
  return d;
}

// sRGB relative luminance (WCAG): which text colour reads on a fill.
function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function heatColor(share) {
  const t = Math.max(0, Math.min(1, share));
  return HEAT_FROM.map((a, i) => Math.round(a + (HEAT_TO[i] - a) * t));
}

// White text where it contrasts more than near-black (#222, luminance ≈ 0.016) does.
function darkFill(rgb) {
  const l = luminance(rgb);
  return (1.05 / (l + 0.05)) > ((l + 0.05) / 0.066);
}

export function mount(root, send) {
  const view = root.querySelector(".se-view"), stage = root.querySelector(".se-stage");
  const mini = root.querySelector(".se-mini"), panel = root.querySelector(".se-inspector");
  const readout = root.querySelector(".se-zoom"), legend = root.querySelector(".se-legend");
  const miniToggle = root.querySelector("button[data-mini]");
  const state = { send, scene: null, sceneText: "", scale: 1, x: 0, y: 0, placed: false,
    key: null, focusNonce: null, highlight: null, anchor: null, selected: null,
    items: new Map(), height: null, fitted: false };
  let drag = null, moved = 0, miniDrag = false, clicks = 0;
  const svg = el("svg", { class: "se-svg" }, stage);
  const layer = el("g", {}, svg);
  const miniSvg = el("svg", { class: "se-mini-svg" }, mini);
  const miniLayer = el("g", {}, miniSvg);
  const miniPort = el("rect", { class: "se-mini-port" }, miniSvg);

  const remember = () => {
    if (!state.placed || !state.key) return;
    try { sessionStorage.setItem(state.key, JSON.stringify([state.scale, state.x, state.y])); }
    catch (err) { /* storage off: the view is just not remembered */ }
  };
  const apply = () => {
    layer.setAttribute("transform", `translate(${state.x},${state.y}) scale(${state.scale})`);
    if (readout) readout.textContent = `${Math.round(state.scale * 100)}%`;
    drawPort(); remember();
  };
  const size = () => [view.clientWidth, view.clientHeight];
  const fitScale = (w, h, pad = PAD) => {
    const [vw, vh] = size();
    return Math.min((vw - 2 * pad) / Math.max(w, 1), (vh - 2 * pad) / Math.max(h, 1));
  };
  const fitBox = (x, y, w, h, most = 1.5) => {
    const [vw, vh] = size();
    state.scale = Math.min(fitScale(w, h), most);
    state.x = vw / 2 - (x + w / 2) * state.scale;
    state.y = vh / 2 - (y + h / 2) * state.scale;
    state.placed = true; apply();
  };
  const fit = () => { if (state.scene) fitBox(0, 0, state.scene.width, state.scene.height); };
  // The offset that puts scene coordinate ``at`` at screen ``want`` along one axis, kept
  // so the drawing fills the frame there (centred when it is smaller than the frame).
  const along = (want, at, scale, extent, room) => {
    if (extent * scale <= room - 2 * PAD) return (room - extent * scale) / 2;
    return Math.min(PAD, Math.max(room - PAD - extent * scale, want - at * scale));
  };
  const centreOn = (item, least = READABLE) => {
    const [vw, vh] = size();
    state.scale = Math.max(state.scale, least);
    state.x = vw / 2 - (item.x + item.w / 2) * state.scale;
    state.y = vh / 2 - (item.y + item.h / 2) * state.scale;
    state.placed = true; apply();
  };
  // The first view: the whole drawing when it is readable so; else readable, on the
  // signature's input end (its input keys), the overview showing where that is.
  const firstView = () => {
    const scene = state.scene;
    if (fitScale(scene.width, scene.height) >= READABLE) { fit(); return; }
    const [vw, vh] = size();
    const keys = scene.boxes.filter((b) => b.kind === "input_key");
    const start = keys.length ? keys : scene.boxes.slice(0, 1);
    const x0 = Math.min(...start.map((b) => b.x)), y0 = Math.min(...start.map((b) => b.y));
    const y1 = Math.max(...start.map((b) => b.y + b.h));
    const s = READABLE;
    state.scale = s;
    state.x = along(PAD + 8 * s, x0, s, scene.width, vw);
    state.y = along(vh / 2 - (y0 + y1) / 2 * s, 0, s, scene.height, vh);
    state.placed = true; apply();
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(Math.max(state.scale * factor, 0.04), 6);
    state.x = cx - (cx - state.x) * next / state.scale;
    state.y = cy - (cy - state.y) * next / state.scale;
    state.scale = next; apply();
  };

  // ---- the frame's height: fixed, or the window below the frame's top ----
  const sizeFrame = () => {
    if (state.height !== "page") return;
    const top = view.getBoundingClientRect().top;
    if (!view.clientWidth || top < 0) return;  // hidden, or scrolled past: keep it
    const hint = root.querySelector(".se-hint");  // the line under the frame stays in view too
    const below = (hint ? hint.offsetHeight + 4 : 0) + 10;
    const px = Math.round(Math.min(PAGE_MAX_PX, Math.max(PAGE_MIN_PX, window.innerHeight - top - below)));
    if (view.style.height !== `${px}px`) view.style.height = `${px}px`;
  };
  window.addEventListener("resize", () => { sizeFrame(); drawPort(); });

  // ---- drawing ----
  const draw = (scene) => {
    layer.replaceChildren(); miniLayer.replaceChildren(); state.items = new Map();
    const frames = el("g", { class: "se-frames" }, layer);
    const edges = el("g", { class: "se-edges" }, layer);
    const boxes = el("g", { class: "se-boxes" }, layer);
    for (const f of scene.frames) {
      const [fill, stroke] = FRAME_COLORS[f.kind] || FRAME_COLORS.scope;
      const g = el("g", { class: "se-frame", "data-id": f.id }, frames);
      el("rect", { x: f.x, y: f.y, width: f.w, height: f.h, rx: 8, fill, stroke,
        "stroke-width": f.findings ? 2.5 : 1.2, ...(f.findings ? { class: "se-finding" } : {}) }, g);
      const title = el("text", { x: f.x + 8, y: f.y + 13, class: "se-frame-title",
        "data-id": f.ids[0], role: "button", tabindex: "0", "data-room": f.w - 16 }, g);
      title.textContent = (f.findings ? "⚠ " : "") + f.label;
      const sub = el("tspan", { class: "se-frame-sub", dx: 8 }, title);
      sub.textContent = f.sub;
      const tip = el("title", {}, g); tip.textContent = `${f.ids.join("\n")}\n${f.sub}\nclick the title to close`;
      state.items.set(f.id, { ...f, frame: true, node: g });
      for (const id of f.ids) if (!state.items.has(id)) state.items.set(id, { ...f, frame: true, node: g });
      el("rect", { x: f.x, y: f.y, width: f.w, height: f.h, class: "se-mini-frame" }, miniLayer);
    }
    for (const e of scene.edges) {
      const cls = `se-edge se-${e.kind}` + (e.highlighted ? " se-hot" : "");
      const path = el("path", { d: curve(e.points), class: cls,
        "stroke-width": Math.min(1.2 + (e.count - 1) * 0.25, 4) }, edges);
      if (e.label && e.points.length === 4) {
        const [x0, y0, x1, y1] = e.points;
        if (x1 - x0 > 60) {
          const t = el("text", { x: (x0 + x1) / 2, y: (y0 + y1) / 2 - 3, class: "se-edge-label" }, edges);
          t.textContent = e.label;
        }
      }
      const tip = el("title", {}, path); tip.textContent = e.label || e.kind;
    }
    for (const b of scene.boxes) {
      const [fill, stroke] = COLORS[b.kind] || COLORS.op;
      const g = el("g", { class: `se-box se-k-${b.kind}` + (b.on_path ? "" : " se-off")
        + (b.highlighted ? " se-hot" : "") + (b.findings ? " se-finding" : ""),
        "data-id": b.id, role: "button", tabindex: "0" }, boxes);
      const round = b.kind === "tensor" ? b.h / 2 : (GROUPS.has(b.kind) ? 3 : 6);
      if (GROUPS.has(b.kind)) {  // a stack: this box holds more inside
        el("rect", { x: b.x + 4, y: b.y - 4, width: b.w, height: b.h, rx: round, fill, stroke,
          class: "se-shadow" }, g);
      }
      el("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: round, fill, stroke,
        class: "se-shape" }, g);
      b.lines.forEach((line, i) => {
        const t = el("text", { x: b.x + 8, y: b.y + 15 + i * 14,
          class: i === 0 ? "se-l1" : "se-l2", "data-room": b.w - 14 }, g);
        t.textContent = (i === 0 && b.findings ? "⚠ " : "") + line;
      });
      const tip = el("title", {}, g); tip.textContent = b.title;
      g.setAttribute("aria-label", b.title.split("\n")[0]);
      state.items.set(b.id, { ...b, frame: false, node: g });
      el("rect", { x: b.x, y: b.y, width: b.w, height: b.h,
        class: "se-mini-box" + (b.highlighted ? " se-hot" : "") + (b.findings ? " se-finding" : "") }, miniLayer);
    }
    miniSvg.setAttribute("viewBox", `0 0 ${scene.width} ${scene.height}`);
    state.fitted = false;
    fitText();
  };
  // Boxes are sized for the widest common sans-serif; a wider font still found here is
  // narrowed to its box rather than overflowing it.
  const fitText = () => {
    if (state.fitted || !view.clientWidth) return;
    state.fitted = true;
    layer.querySelectorAll("text[data-room]").forEach((t) => {
      const room = Number(t.getAttribute("data-room"));
      if (room > 0 && t.getComputedTextLength() > room) {
        t.setAttribute("textLength", room);
        t.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
    });
  };
  const mark = (selected) => {
    state.selected = selected;
    layer.querySelectorAll(".se-selected").forEach((n) => n.classList.remove("se-selected"));
    const item = selected && state.items.get(selected);
    if (item && !item.frame) item.node.classList.add("se-selected");
  };
  const drawPort = () => {
    if (!state.scene) return;
    const [vw, vh] = size();
    miniPort.setAttribute("x", -state.x / state.scale);
    miniPort.setAttribute("y", -state.y / state.scale);
    miniPort.setAttribute("width", vw / state.scale);
    miniPort.setAttribute("height", vh / state.scale);
  };

  // ---- a profile's times, as colour: white (no time) to red (the slowest box) ----
  const heat = (times, scale) => {
    for (const item of state.items.values()) {
      if (item.frame) continue;
      const shape = item.node.querySelector(".se-shape");
      const tip = item.node.querySelector("title");
      const hot = times && times[item.id];
      if (tip) tip.textContent = hot ? `${item.title}\n${hot[1]}` : item.title;
      item.node.classList.remove("se-dark-fill", "se-light-fill");
      if (!hot) { shape.removeAttribute("style"); continue; }
      const rgb = heatColor(hot[0]);
      shape.setAttribute("style", `fill: rgb(${rgb.join(",")})`);
      item.node.classList.add(darkFill(rgb) ? "se-dark-fill" : "se-light-fill");
    }
    const shown = Boolean(times && scale);
    legend.hidden = !shown;
    if (shown) {
      legend.querySelector(".se-legend-title").textContent = scale.title;
      legend.querySelector(".se-legend-max").textContent = scale.max;
    }
  };

  // ---- the inspector ----
  const inspect = (info) => {
    panel.replaceChildren();
    if (!info) {
      const p = document.createElement("p"); p.className = "se-muted";
      p.textContent = "Click a box to inspect it. Groups open on click; an open group's "
        + "title closes it; a key highlights its path.";
      panel.appendChild(p); return;
    }
    const h = document.createElement("div"); h.className = "se-ins-title";
    breakable(h, info.title); panel.appendChild(h);
    for (const line of info.lines || []) {
      const p = document.createElement("div"); p.className = "se-ins-line";
      breakable(p, line); panel.appendChild(p);
    }
    for (const section of info.sections || []) {
      const t = document.createElement("div"); t.className = "se-ins-head";
      t.textContent = section.title; panel.appendChild(t);
      for (const row of section.rows) {
        const r = document.createElement(row.target || row.action ? "button" : "div");
        r.className = row.action ? "se-action" : (row.target ? "se-link" : "se-ins-row");
        breakable(r, row.text);
        if (row.action) {
          r.addEventListener("click", () => {
            if (state.send) state.send("action", { id: row.action, t: Date.now() });
          });
        } else if (row.target) {
          r.title = `go to ${row.target}`;
          r.addEventListener("click", () => {
            if (state.send) state.send("goto", { id: row.target, t: Date.now() });
          });
        }
        panel.appendChild(r);
      }
    }
  };

  // ---- data in ----
  state.show = (data) => {
    const height = data.height || 560;
    if (height !== state.height) {
      state.height = height;
      if (height === "page") sizeFrame(); else view.style.height = `${height}px`;
    }
    const text = JSON.stringify(data.scene);
    const fresh = text !== state.sceneText;
    if (fresh) {
      const before = state.anchor && state.items.get(state.anchor.id);
      state.scene = data.scene; state.sceneText = text; state.key = `se-graph:${data.key || ""}`;
      draw(data.scene);
      const after = state.anchor && state.items.get(state.anchor.id);
      if (state.placed && before && after) {
        // Expanded or collapsed: keep the clicked group where it was on screen.
        state.x = state.anchor.sx - after.x * state.scale;
        state.y = state.anchor.sy - after.y * state.scale;
        apply();
      } else if (!state.placed) {
        restore();
      } else {
        drawPort();
      }
      state.anchor = null;
    }
    mark(data.selected || null);
    heat(data.heat || null, data.heat_legend || null);
    inspect(data.inspector || null);
    const focus = data.focus;
    if (focus && focus.nonce !== state.focusNonce && view.clientWidth) {
      state.focusNonce = focus.nonce;
      const item = state.items.get(focus.id);
      if (item) centreOn(item);
    }
    if ((data.highlight || null) !== state.highlight && view.clientWidth) {
      state.highlight = data.highlight || null;
      if (state.highlight) showHot();
    }
  };
  const restore = () => {
    if (!view.clientWidth || !state.scene) return false;
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(state.key) || "null"); } catch (err) {}
    if (saved) { [state.scale, state.x, state.y] = saved; state.placed = true; apply(); }
    else firstView();
    return true;
  };
  const showHot = () => {  // bring a highlighted path into view, readable
    const hot = state.scene.boxes.filter((b) => b.highlighted);
    if (!hot.length) return;
    const x0 = Math.min(...hot.map((b) => b.x)), y0 = Math.min(...hot.map((b) => b.y));
    const x1 = Math.max(...hot.map((b) => b.x + b.w)), y1 = Math.max(...hot.map((b) => b.y + b.h));
    if (fitScale(x1 - x0, y1 - y0) >= READABLE) { fitBox(x0, y0, x1 - x0, y1 - y0, 1.2); return; }
    // Too long to read whole: its key, readable, with as much of the path as fits.
    const key = state.items.get(`input:${state.highlight}`) || state.items.get(`output:${state.highlight}`);
    const at = key || hot[0];
    const [vw, vh] = size();
    const s = Math.max(state.scale, READABLE);
    state.scale = s;
    state.x = Math.min(PAD - x0 * s, Math.max(vw - PAD - x1 * s, vw / 2 - (at.x + at.w / 2) * s));
    state.y = Math.min(PAD - y0 * s, Math.max(vh - PAD - y1 * s, vh / 2 - (at.y + at.h / 2) * s));
    state.placed = true; apply();
  };

  // ---- events out ----
  const clickOn = (target) => {
    const box = target.closest(".se-box");
    const title = target.closest(".se-frame-title");
    const id = box ? box.dataset.id : title ? title.dataset.id : null;
    if (!id || !state.send) return;
    const item = state.items.get(id);
    if (item && (GROUPS.has(item.kind) || item.frame)) {
      // Remember where the group is on screen: the next drawing puts it back there.
      state.anchor = { id, sx: state.x + item.x * state.scale, sy: state.y + item.y * state.scale };
    }
    clicks += 1;
    state.send("clicked", { id, t: Date.now() + clicks });
  };
  view.addEventListener("click", (e) => { if (moved <= 4) clickOn(e.target); });
  view.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target.closest) {
      e.preventDefault(); clickOn(e.target);
    }
  });
  view.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey) return;  // a plain wheel scrolls the page
    e.preventDefault();
    const r = view.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  view.addEventListener("mousedown", (e) => {
    drag = [e.clientX - state.x, e.clientY - state.y, e.clientX, e.clientY]; moved = 0;
    view.classList.add("se-grabbing");
  });
  window.addEventListener("mouseup", () => { drag = null; miniDrag = false; view.classList.remove("se-grabbing"); });
  window.addEventListener("mousemove", (e) => {
    if (miniDrag) { miniPan(e); return; }
    if (!drag) return;
    moved = Math.max(moved, Math.abs(e.clientX - drag[2]) + Math.abs(e.clientY - drag[3]));
    state.x = e.clientX - drag[0]; state.y = e.clientY - drag[1]; apply();
  });
  const miniPan = (e) => {  // centre the view on the overview point under the mouse
    if (!state.scene) return;
    const r = miniSvg.getBoundingClientRect();
    const s = Math.min(r.width / state.scene.width, r.height / state.scene.height);
    const ox = (r.width - state.scene.width * s) / 2, oy = (r.height - state.scene.height * s) / 2;
    const px = (e.clientX - r.left - ox) / s, py = (e.clientY - r.top - oy) / s;
    const [vw, vh] = size();
    state.x = vw / 2 - px * state.scale; state.y = vh / 2 - py * state.scale; apply();
  };
  mini.addEventListener("mousedown", (e) => { miniDrag = true; miniPan(e); e.preventDefault(); });
  const showMini = (on) => {
    mini.hidden = !on;
    if (miniToggle) miniToggle.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("se-graph:overview", on ? "1" : "0"); } catch (err) {}
  };
  let overview = true;
  try { overview = localStorage.getItem("se-graph:overview") !== "0"; } catch (err) {}
  showMini(overview);
  if (miniToggle) miniToggle.onclick = () => showMini(mini.hidden);
  const centre = (f) => { const [vw, vh] = size(); zoomAt(f, vw / 2, vh / 2); };
  const buttons = {
    in: () => centre(1.25), out: () => centre(0.8), fit,
    one: () => { const [vw, vh] = size(); zoomAt(1 / state.scale, vw / 2, vh / 2); },
  };
  root.querySelectorAll("button[data-zoom]").forEach((b) => { b.onclick = buttons[b.dataset.zoom]; });
  // The element may sit in a hidden tab: size and place the drawing when it gets a size.
  new ResizeObserver(() => {
    sizeFrame(); fitText();
    if (!state.placed && state.scene) restore(); else drawPort();
  }).observe(view);
  state.READABLE = READABLE;
  return state;
}

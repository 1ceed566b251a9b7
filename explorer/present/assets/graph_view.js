// Plain JS, no library. Streamlit calls the default export on every rerun with the latest
// data; the drawing is replaced only when the SVG itself changed. Each drawing's zoom and
// pan are kept in the tab's sessionStorage, so they survive reruns, a switch to another
// tab and back, and a closed group opened again. A plain wheel scrolls the page (the frame
// covers most of it); ctrl + wheel, which is also what a trackpad pinch sends, zooms.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".se-graph");
  if (!root) return;
  if (!root.seState) root.seState = start(root);
  root.seState.send = setTriggerValue;
  root.seState.show(data.svg, data.height, data.selected);
}

const READABLE = 0.45;  // the smallest first-view scale whose labels can still be read

function digest(text) {
  let h = 5381;
  for (let i = 0; i < text.length; i += 1) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return `se-view:${text.length}:${h.toString(36)}`;
}

function start(root) {
  const view = root.querySelector(".se-view"), stage = root.querySelector(".se-stage");
  const state = { svg: null, key: null, send: null, scale: 1, x: 0, y: 0, placed: false };
  let drag = null, moved = 0;
  const apply = () => {
    stage.style.transform = `translate(${state.x}px,${state.y}px) scale(${state.scale})`;
    if (state.placed && state.key) {
      try {
        sessionStorage.setItem(state.key, JSON.stringify([state.scale, state.x, state.y]));
      } catch (err) { /* storage full or off: the view is just not remembered */ }
    }
  };
  const natural = () => {
    const svg = stage.querySelector("svg");
    if (!svg || !view.clientWidth) return null;
    const box = svg.getBoundingClientRect();
    return box.width ? [box.width / state.scale, box.height / state.scale] : null;
  };
  // Whole drawing, centred; ``floor`` keeps a huge drawing readable (left end first).
  const place = (floor) => {
    const size = natural();
    if (!size) return false;
    const [w, h] = size, vw = view.clientWidth, vh = view.clientHeight;
    state.scale = Math.max(Math.min(vw / w, vh / h, 1), Math.min(floor, 1));
    state.x = w * state.scale < vw ? (vw - w * state.scale) / 2 : 0;
    state.y = h * state.scale < vh ? (vh - h * state.scale) / 2 : 0;
    state.placed = true; apply();
    return true;
  };
  // This drawing's remembered view; else the current one if the drawing kept its size (a
  // new highlight recolours it); else the first view.
  const restore = (keep) => {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(state.key) || "null"); } catch (err) {}
    if (!natural()) return false;
    if (saved) [state.scale, state.x, state.y] = saved;
    else if (!keep) return place(READABLE);
    state.placed = true; apply();
    return true;
  };
  const size = (svg) => String((svg || "").slice(0, 400).match(/width="[^"]*" height="[^"]*"/));
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(Math.max(state.scale * factor, 0.05), 8);
    state.x = cx - (cx - state.x) * next / state.scale;
    state.y = cy - (cy - state.y) * next / state.scale;
    state.scale = next; apply();
  };
  state.show = (svg, height, selected) => {
    view.style.height = `${height}px`;
    if (svg !== state.svg) {
      const keep = state.placed && size(svg) === size(state.svg);
      state.svg = svg; state.key = digest(svg); state.placed = false;
      stage.innerHTML = svg;
      stage.querySelectorAll("g.node").forEach((g) => {  // reachable by Tab, Enter clicks
        const title = g.querySelector("title");
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        if (title) g.setAttribute("aria-label", title.textContent);
      });
      restore(keep);
    }
    stage.querySelectorAll("g.node").forEach((g) => {
      const title = g.querySelector("title");
      g.classList.toggle("se-selected", !!selected && !!title && title.textContent === selected);
    });
  };
  view.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey) return;  // let the page scroll
    e.preventDefault();
    const r = view.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  view.addEventListener("mousedown", (e) => {
    drag = [e.clientX - state.x, e.clientY - state.y, e.clientX, e.clientY]; moved = 0;
    view.style.cursor = "grabbing";
  });
  window.addEventListener("mouseup", () => { drag = null; view.style.cursor = "grab"; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    moved = Math.max(moved, Math.abs(e.clientX - drag[2]) + Math.abs(e.clientY - drag[3]));
    state.x = e.clientX - drag[0]; state.y = e.clientY - drag[1]; apply();
  });
  view.addEventListener("click", (e) => {
    if (moved > 4 || !state.send) return;  // the end of a pan, not a click
    const node = e.target.closest("g.node");
    if (node) {
      const title = node.querySelector("title");
      if (title) state.send("clicked", title.textContent);
      return;
    }
    const cluster = e.target.closest("g.cluster");
    if (cluster && e.target.tagName.toLowerCase() === "text") {
      const link = cluster.querySelector("a");
      const name = link && link.getAttribute("xlink:title");
      if (name) state.send("clicked", name);
    }
  });
  // Focus (Tab to a box) scrolls the frame to show it: turn that into our own pan, so
  // Fit and zoom keep working from one offset.
  view.addEventListener("scroll", () => {
    if (!view.scrollLeft && !view.scrollTop) return;
    state.x -= view.scrollLeft; state.y -= view.scrollTop;
    view.scrollLeft = 0; view.scrollTop = 0; apply();
  });
  view.addEventListener("keydown", (e) => {
    const node = e.target.closest && e.target.closest("g.node");
    if (node && (e.key === "Enter" || e.key === " ") && state.send) {
      e.preventDefault();
      const title = node.querySelector("title");
      if (title) state.send("clicked", title.textContent);
    }
  });
  const centre = (f) => zoomAt(f, view.clientWidth / 2, view.clientHeight / 2);
  const buttons = {
    in: () => centre(1.25), out: () => centre(0.8), fit: () => place(0),
    one: () => { state.scale = 1; state.x = 0; state.y = 0; apply(); },
  };
  root.querySelectorAll("button[data-zoom]").forEach((b) => {
    b.onclick = buttons[b.dataset.zoom];
  });
  // The element may sit in a hidden tab: place the drawing when it first gets a size.
  new ResizeObserver(() => { if (!state.placed && state.svg) restore(false); }).observe(view);
  return state;
}

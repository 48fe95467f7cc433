// Walks one frame's DOM (open shadow roots included) and returns a compact tree of what a user can perceive.
// Every element an agent can act on gets a `data-wa-id` attribute that persists on the live node, so the same
// element keeps the same id from one step to the next. Runs in the page: no network, no timers, no page globals.
(args) => {
  const ATTR = "data-wa-id";
  let nextId = args.nextId;
  const seen = new Set();
  const maxText = args.maxText || 300;
  const win = args.window || null; // [top, bottom] in this frame's viewport coordinates: skip subtrees outside
  const wantHtml = !!args.html;
  const skipped = [0, 0]; // actionable elements in skipped subtrees above / below the window
  // Huge pages in the whole-page scope: full detail only near the viewport; farther away only actionable elements,
  // at most `farCap` of them (the token budget could not show more), the rest counted like skipped subtrees.
  let far = null, farLeft = 0;
  if (!win && args.farAfter && document.getElementsByTagName("*").length > args.farAfter) {
    far = [-(args.farMargin || 720), window.innerHeight + (args.farMargin || 720)];
    farLeft = args.farCap || 1000;
  }
  const ACTIONABLE_SEL = "a[href],button,input:not([type=hidden]),select,textarea,summary,[onclick],[tabindex],[role=button],[role=link],[role=checkbox],[role=tab],[role=menuitem],[contenteditable=true]";
  const HTML_ATTRS = ["href", "type", "name", "placeholder", "alt", "title", "aria-label", "role", "for", "action", "method"];
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "META", "LINK", "TITLE", "BASE"]);
  const INTERACTIVE_ROLES = new Set([
    "button", "link", "textbox", "searchbox", "combobox", "checkbox", "radio", "switch", "slider",
    "spinbutton", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option", "treeitem", "listbox",
    "gridcell",
  ]);
  const NAME_FROM_CONTENT = new Set([
    "button", "link", "heading", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option", "treeitem",
    "checkbox", "radio", "switch", "cell", "gridcell", "columnheader", "rowheader", "tooltip",
    "legend", "caption", "summary", "term", "code", "strong", "emphasis",
  ]);
  const INPUT_ROLES = {
    button: "button", submit: "button", reset: "button", image: "button", checkbox: "checkbox",
    radio: "radio", range: "slider", number: "spinbutton", search: "searchbox", email: "textbox",
    tel: "textbox", text: "textbox", url: "textbox", password: "textbox", date: "textbox",
    "datetime-local": "textbox", month: "textbox", week: "textbox", time: "textbox", color: "button",
    file: "button", hidden: null,
  };
  const TAG_ROLES = {
    A: (e) => (e.hasAttribute("href") ? "link" : "generic"), AREA: (e) => (e.hasAttribute("href") ? "link" : null),
    BUTTON: "button", SELECT: (e) => (e.multiple || e.size > 1 ? "listbox" : "combobox"), OPTION: "option",
    TEXTAREA: "textbox", H1: "heading", H2: "heading", H3: "heading", H4: "heading", H5: "heading", H6: "heading",
    IMG: (e) => (e.getAttribute("alt") === "" ? "presentation" : "img"), NAV: "navigation", MAIN: "main",
    HEADER: "banner", FOOTER: "contentinfo", ASIDE: "complementary", FORM: "form", SECTION: "region",
    ARTICLE: "article", UL: "list", OL: "list", LI: "listitem", DL: "list", DT: "term", DD: "definition",
    TABLE: "table", THEAD: "rowgroup", TBODY: "rowgroup", TFOOT: "rowgroup", TR: "row", TH: "columnheader",
    TD: "cell", CAPTION: "caption", P: "paragraph", LABEL: "label", FIELDSET: "group", LEGEND: "legend",
    DETAILS: "group", SUMMARY: "button", DIALOG: "dialog", PROGRESS: "progressbar", METER: "meter",
    HR: "separator", IFRAME: "iframe", FRAME: "iframe", BLOCKQUOTE: "blockquote", CODE: "code", PRE: "code",
    STRONG: "strong", B: "strong", EM: "emphasis", I: "emphasis", FIGURE: "figure", svg: "img",
    MENU: "list", OUTPUT: "status", SEARCH: "search",
  };

  const clean = (s, n = maxText) => {
    s = (s || "").replace(/\s+/g, " ").trim();
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  };
  const root = (e) => e.getRootNode();
  const byId = (e, id) => {
    const r = root(e);
    return (r.getElementById ? r.getElementById(id) : null) || document.getElementById(id);
  };

  function roleOf(e) {
    const explicit = (e.getAttribute("role") || "").trim().split(/\s+/)[0];
    if (explicit) return explicit;
    if (e.tagName === "INPUT") {
      const t = (e.getAttribute("type") || "text").toLowerCase();
      if (t === "text" || t === "search" || t === "email" || t === "tel" || t === "url") {
        if (e.getAttribute("list")) return "combobox";
      }
      return t in INPUT_ROLES ? INPUT_ROLES[t] : "textbox";
    }
    if (e.isContentEditable && !(e.parentElement && e.parentElement.isContentEditable)) return "textbox";
    const r = TAG_ROLES[e.tagName];
    if (typeof r === "function") return r(e);
    return r || "generic";
  }

  // -- text a person cannot see: pages hide instructions for agents this way, so it is not shown to the model --
  function rgba(c) {
    const m = c && c.match(/rgba?\(([^)]*)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  const bgMemo = new Map();
  function backgroundOf(e) {  // the colour under e's text: its own background or its nearest ancestor's (memoised)
    if (!e || e.nodeType !== 1) return [255, 255, 255, 1];
    if (bgMemo.has(e)) return bgMemo.get(e);
    const s = getComputedStyle(e);
    let out;
    if (s.backgroundImage && s.backgroundImage !== "none") out = null; // cannot tell what is under the text
    else {
      const c = rgba(s.backgroundColor);
      out = c && c[3] > 0.5 ? c : backgroundOf(e.parentElement || (e.getRootNode().host || null));
    }
    bgMemo.set(e, out);
    return out;
  }
  // the element's own text cannot be read (its children may set their own size or colour)
  function ownTextUnseen(e, style) {
    if (parseFloat(style.fontSize) <= 1) return true;
    if (e.namespaceURI === "http://www.w3.org/2000/svg" && style.fill === "none"
      && (style.stroke === "none" || parseFloat(style.strokeWidth) === 0)) return true;
    if (parseFloat(style.textIndent) < -500) return true;
    const c = rgba(style.color);
    if (!c) return false;
    if (c[3] < 0.1) return true;
    const b = backgroundOf(e);
    return !!b && Math.abs(c[0] - b[0]) + Math.abs(c[1] - b[1]) + Math.abs(c[2] - b[2]) < 24;
  }
  // nothing in the element's subtree can be seen: faded out, clipped away, scaled or squeezed to nothing
  function subtreeUnseen(e, style, rect) {
    if (parseFloat(style.opacity) < 0.1) return true;
    if (/opacity\(0(\.0\d*)?\)/.test(style.filter || "")) return true;
    if (style.position === "absolute" || style.position === "fixed") {
      if (/rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)/.test(style.clip || "")) return true;
    }
    if (/inset\(\s*(5\d|[6-9]\d|100)%/.test(style.clipPath || "")) return true;
    const t = style.transform;
    if (t && t !== "none") {
      const m = t.match(/matrix\(([^)]*)\)/);
      if (m) {
        const [a, b, c, d] = m[1].split(",").map(parseFloat);
        if (Math.abs(a * d - b * c) < 1e-3) return true;
      }
    }
    const clips = style.overflow !== "visible" || style.overflowX !== "visible" || style.overflowY !== "visible"
      || e.tagName === "svg";
    return clips && (rect.width < 2 || rect.height < 2) && style.display !== "contents";
  }
  // text behind another element put over it on the page (not a fixed header: that is scrolled under)
  let behindLeft = 150;
  function behind(e, rect) {
    if (behindLeft <= 0 || rect.width < 1 || rect.height < 1) return false;
    const x = rect.left + Math.min(rect.width, 40) / 2, y = rect.top + rect.height / 2;
    if (x < 0 || y < 0 || x >= vw || y >= vh) return false;
    behindLeft--;
    const r = root(e);
    const hit = r.elementFromPoint ? r.elementFromPoint(x, y) : null;
    if (!hit || hit === e || e.contains(hit) || hit.contains(e)) return false;
    for (let a = hit; a && a !== document.body; a = a.parentElement) {
      const p = getComputedStyle(a).position;
      if (p === "fixed" || p === "sticky") return false;
      if (p === "absolute") return true;
    }
    return false;
  }
  // for names: the cheap checks only (names are computed for thousands of links on a big page)
  function unseen(c) {
    if (c.checkVisibility && !c.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return true;
    const st = getComputedStyle(c);
    return parseFloat(st.fontSize) <= 1 || parseFloat(st.opacity) < 0.1;
  }

  function textFrom(e, depth) {
    // accessible name from content: text, alt of images, aria-label of descendants; nothing a person cannot see
    if (depth > 8) return "";
    let out = "";
    let ownHidden = null;
    for (const c of e.childNodes) {
      if (c.nodeType === 3) {
        // the element's own words stay its name (a label drawn invisibly is still what it is called)
        if (ownHidden === null) ownHidden = depth > 0 && !!c.data.trim() && ownTextUnseen(e, getComputedStyle(e));
        if (!ownHidden) out += c.data;
      } else if (c.nodeType === 1) {
        if (SKIP.has(c.tagName)) continue;
        if (c.getAttribute("aria-hidden") === "true") continue;
        if (unseen(c)) continue;
        const label = c.getAttribute("aria-label");
        if (label) out += " " + label + " ";
        else if (c.tagName === "IMG") out += " " + (c.getAttribute("alt") || "") + " ";
        else if (c.tagName === "INPUT" || c.tagName === "SELECT" || c.tagName === "TEXTAREA") continue;
        else {
          const disp = c.tagName === "BR" ? "\n" : "";
          out += disp + textFrom(c, depth + 1) + (c.tagName === "DIV" || c.tagName === "P" ? " " : "");
        }
      }
    }
    return out;
  }

  function nameOf(e, role, actionable) {
    const lb = e.getAttribute("aria-labelledby");
    if (lb) {
      const t = lb.split(/\s+/).map((id) => byId(e, id)).filter(Boolean).map((x) => textFrom(x, 0)).join(" ");
      if (clean(t)) return clean(t);
    }
    const al = e.getAttribute("aria-label");
    if (al && al.trim()) return clean(al);
    const tag = e.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") {
      const type = (e.getAttribute("type") || "").toLowerCase();
      if (tag === "INPUT" && (type === "submit" || type === "reset" || type === "button")) {
        return clean(e.value || (type === "submit" ? "Submit" : type === "reset" ? "Reset" : ""));
      }
      if (tag === "INPUT" && type === "image") return clean(e.getAttribute("alt") || "Submit");
      if (e.labels && e.labels.length) {
        const t = [...e.labels].map((l) => textFrom(l, 0)).join(" ");
        if (clean(t)) return clean(t);
      }
      return clean(e.getAttribute("title") || e.getAttribute("placeholder") || "");
    }
    if (tag === "IMG" || tag === "AREA") return clean(e.getAttribute("alt") || e.getAttribute("title") || "");
    if (tag === "IFRAME" || tag === "FRAME") return clean(e.getAttribute("title") || e.getAttribute("name") || "");
    if (tag === "FIELDSET") {
      const lg = e.querySelector(":scope > legend");
      if (lg) return clean(lg.textContent);
    }
    if (tag === "TABLE") {
      const cap = e.querySelector(":scope > caption");
      if (cap) return clean(cap.textContent);
    }
    if (tag === "svg") {
      const t = e.querySelector("title");
      return clean(t ? t.textContent : "");
    }
    if (NAME_FROM_CONTENT.has(role) || (actionable && role === "generic")) {
      const t = clean(textFrom(e, 0));
      if (t) return t;
    }
    return clean(e.getAttribute("title") || "");
  }

  const vw = window.innerWidth, vh = window.innerHeight;

  function visible(e, style) {
    if (e.checkVisibility && !e.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    return style.visibility !== "hidden" && style.display !== "none";
  }

  function isClickable(e, role, style, parentPointer) {
    if (INTERACTIVE_ROLES.has(role)) return true;
    const tag = e.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "BUTTON" || tag === "SUMMARY") return true;
    if (tag === "A" && e.hasAttribute("href")) return true;
    if (e.isContentEditable && !(e.parentElement && e.parentElement.isContentEditable)) return true;
    if (e.hasAttribute("onclick") || typeof e.onclick === "function") return true;
    const ti = e.getAttribute("tabindex");
    if (ti !== null && parseInt(ti, 10) >= 0 && tag !== "IFRAME") return true;
    if (tag === "IFRAME" || tag === "FRAME") return true; // an id so the frame can be named and scrolled into view
    // cursor:pointer marks a role-less clickable, unless it only inherits the cursor from a clickable ancestor
    if (style.cursor === "pointer" && !parentPointer) return true;
    return false;
  }

  function assignId(e) {
    let id = parseInt(e.getAttribute(ATTR), 10);
    if (!Number.isFinite(id) || seen.has(id)) {
      id = nextId++;
      e.setAttribute(ATTR, String(id));
    }
    seen.add(id);
    return id;
  }

  const deepActive = (() => {
    let d = document.activeElement;
    while (d && d.shadowRoot && d.shadowRoot.activeElement) d = d.shadowRoot.activeElement;
    return d;
  })();

  // Occlusion: is the element's centre (or failing that one of four inner points) hit by itself, a descendant,
  // an ancestor or its label? Only for elements whose centre lies inside this frame's viewport.
  function occluded(e, rect) {
    const r = root(e);
    if (!r.elementFromPoint) return false;
    const pts = [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
    let tested = 0;
    for (const [fx, fy] of pts) {
      const x = rect.left + rect.width * fx, y = rect.top + rect.height * fy;
      if (x < 0 || y < 0 || x >= vw || y >= vh) continue;
      tested++;
      const hit = r.elementFromPoint(x, y);
      if (!hit || hit === e || e.contains(hit) || hit.contains(e)) return false;
      if (e.shadowRoot && e.shadowRoot.contains(hit)) return false;
      if (hit.tagName === "LABEL" && hit.control === e) return false;
      if (hit.getRootNode() !== r && hit.shadowRoot) return false;
    }
    return tested > 0;
  }

  function states(e, role) {
    const s = {};
    const a = (n) => e.getAttribute(n);
    if (e === deepActive && e !== document.body) s.focused = true;
    if (e.disabled || a("aria-disabled") === "true") s.disabled = true;
    if (e.required || a("aria-required") === "true") s.required = true;
    if (e.readOnly && (e.tagName === "INPUT" || e.tagName === "TEXTAREA")) s.readonly = true;
    if (e.tagName === "INPUT" && (e.type === "checkbox" || e.type === "radio")) s.checked = e.checked;
    else if (a("aria-checked") !== null) s.checked = a("aria-checked") === "true" ? true : a("aria-checked");
    if (a("aria-pressed") !== null) s.pressed = a("aria-pressed") === "true";
    if (e.tagName === "OPTION") { if (e.selected) s.selected = true; }
    else if (a("aria-selected") === "true") s.selected = true;
    if (a("aria-expanded") !== null) s.expanded = a("aria-expanded") === "true";
    if (e.tagName === "DETAILS") s.expanded = e.open;
    if (role === "heading") s.level = parseInt(a("aria-level") || e.tagName.slice(1), 10) || 2;
    if (a("aria-haspopup") && a("aria-haspopup") !== "false") s.haspopup = a("aria-haspopup");
    if (a("aria-current") && a("aria-current") !== "false") s.current = a("aria-current");
    if (a("aria-invalid") === "true" || (e.validity && e.willValidate && !e.validity.valid && e.value)) s.invalid = true;
    return s;
  }

  function valueOf(e, role) {
    const tag = e.tagName;
    if (tag === "INPUT") {
      const t = (e.type || "").toLowerCase();
      if (t === "checkbox" || t === "radio" || t === "submit" || t === "button" || t === "reset" || t === "image") return null;
      if (t === "password") return e.value ? "•".repeat(Math.min(e.value.length, 8)) : "";
      if (t === "file") return e.files && e.files.length ? [...e.files].map((f) => f.name).join(", ") : "";
      return clean(e.value, 200);
    }
    if (tag === "TEXTAREA") return clean(e.value, 200);
    if (tag === "SELECT") return clean([...e.selectedOptions].map((o) => o.textContent).join(", "), 200);
    if (e.isContentEditable && role === "textbox") return clean(e.textContent, 200);
    const vn = e.getAttribute("aria-valuenow");
    if (vn !== null) return e.getAttribute("aria-valuetext") || vn;
    if (tag === "PROGRESS" || tag === "METER") return String(e.value);
    return null;
  }

  const frameBox = args.offset || [0, 0];

  // Node encoding: [role, name, id|null, states|null, value|null, bbox|null, children|null, flags]
  // Text encoding: a plain string. flags: 1 = visible, 2 = name came from content
  function walkChildren(nodes, parentPointer, inheritedHidden, out, inFar, ownHidden) {
    for (const c of nodes) {
      if (c.nodeType === 3) {
        if (inFar) continue;
        const t = clean(c.data);
        if (t && !inheritedHidden && !ownHidden) out.push(t);
      } else if (c.nodeType === 1) {
        const n = walk(c, parentPointer, inheritedHidden, inFar);
        if (n !== null) {
          if (Array.isArray(n) && n[0] === "__promote__") out.push(...n[1]);
          else out.push(n);
        }
      }
    }
  }

  function childNodesOf(e) {
    if (e.tagName === "SLOT") {
      const assigned = e.assignedNodes({ flatten: true });
      return assigned.length ? assigned : e.childNodes;
    }
    if (e.shadowRoot) return e.shadowRoot.childNodes;
    return e.childNodes;
  }

  function walk(e, parentPointer, inheritedHidden, inFar) {
    if (SKIP.has(e.tagName)) return null;
    if (e.getAttribute("aria-hidden") === "true") return null;
    const style = getComputedStyle(e);
    if (style.display === "none") return null;
    const rect = e.getBoundingClientRect();
    const out = (w) => w && (rect.bottom < w[0] || rect.top > w[1]) && style.position !== "fixed"
      && style.position !== "sticky" && (rect.height > 0 || rect.width > 0);
    if (far && !win && !inFar && out(far)) inFar = true;
    if (out(win) || (inFar && farLeft <= 0 && out(far))) {
      // outside the observed window: count what could be acted on there, emit nothing
      const n = e.querySelectorAll(ACTIONABLE_SEL).length + (e.matches(ACTIONABLE_SEL) ? 1 : 0);
      skipped[rect.bottom < (win || far)[0] ? 0 : 1] += n;
      return null;
    }
    const seen = visible(e, style);
    const unseenHere = !inheritedHidden && ((!seen && style.visibility !== "hidden") || subtreeUnseen(e, style, rect));
    const vis = seen && !inheritedHidden && !unseenHere;
    let role = roleOf(e);
    if (role === null) return null;
    const pointer = style.cursor === "pointer";
    // off the page (a skip link at left:-9999px until focused) counts as unsized: nobody can click it there
    const offPage = rect.right + window.scrollX <= 0 || rect.bottom + window.scrollY <= 0;
    const sized = rect.width > 0 && rect.height > 0 && !offPage;
    const actionable = vis && isClickable(e, role, style, parentPointer) && (sized || e.tagName === "OPTION");
    const children = [];
    const isFrame = e.tagName === "IFRAME" || e.tagName === "FRAME";
    if (e.tagName === "SELECT") {
      for (const o of e.options) {
        const st = o.selected ? { selected: true } : null;
        children.push(["option", clean(o.textContent, 120), null, st, null, null, null, 1]);
      }
    } else if (!isFrame) {
      // invisible because of its own visibility (children may override it), or unseen as a whole subtree
      const hideAll = !vis && (style.visibility === "hidden" || inheritedHidden || unseenHere);
      const hasText = !hideAll && [...e.childNodes].some((c) => c.nodeType === 3 && c.data.trim());
      const ownHidden = hasText && (ownTextUnseen(e, style) || (!inFar && behind(e, rect)));
      walkChildren(childNodesOf(e), parentPointer || pointer || actionable, hideAll, children, inFar, ownHidden);
    }
    if (inFar && !actionable && !isFrame) return children.length ? ["__promote__", children] : null;
    if (inFar && actionable) farLeft--;
    const fromContent = NAME_FROM_CONTENT.has(role) || (actionable && role === "generic");
    const name = (role === "generic" && !actionable) ? "" : nameOf(e, role, actionable);
    const id = actionable || isFrame ? assignId(e) : null;
    if (!actionable && !vis) return children.length ? ["__promote__", children] : null;
    if (offPage && rect.width > 0 && rect.height > 0 && !isFrame) return null;  // parked off the page: not seen
    const st = states(e, role);
    const value = valueOf(e, role);
    const bbox = sized ? [Math.round(rect.left + frameBox[0]), Math.round(rect.top + frameBox[1]),
      Math.round(rect.width), Math.round(rect.height)] : null;
    let flags = vis ? 1 : 0;
    if (fromContent) flags |= 2;
    if (actionable) {
      flags |= 8;
      if (sized && occluded(e, rect)) flags |= 4;
    }
    let kids = children.length ? children : null;
    // text children that only spell out the name the element already has (a link's label): not sent twice
    if (kids && fromContent && name && kids.every((k) => typeof k === "string") && clean(kids.join(" ")) === name) {
      kids = null;
      flags |= 16;
    }
    const node = [role, name, id, Object.keys(st).length ? st : null, value, bbox, kids, flags];
    let extra = null;
    if (isFrame) {
      extra = { co: [Math.round(rect.left + frameBox[0] + e.clientLeft + parseFloat(style.paddingLeft)),
        Math.round(rect.top + frameBox[1] + e.clientTop + parseFloat(style.paddingTop))] };
    }
    if (wantHtml) {
      extra = extra || {};
      extra.tag = e.tagName.toLowerCase();
      const at = {};
      for (const k of HTML_ATTRS) { const v = e.getAttribute(k); if (v !== null && v !== "") at[k] = clean(v, 120); }
      if (Object.keys(at).length) extra.at = at;
    }
    if (extra) node.push(extra);
    return node;
  }

  const body = document.body || document.documentElement;
  const tree = [];
  if (body) walkChildren(childNodesOf(body), false, false, tree);
  const se = document.scrollingElement || document.documentElement;
  // one JSON string: Playwright's structured serializer is slow for large nested results
  return JSON.stringify({
    tree,
    nextId,
    scroll: [Math.round(window.scrollX), Math.round(window.scrollY)],
    size: [se ? se.scrollWidth : 0, se ? se.scrollHeight : 0],
    viewport: [vw, vh],
    title: document.title,
    skipped,
  });
}

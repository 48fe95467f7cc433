// Walks one frame's DOM (open shadow roots included) and returns a compact tree of what a user can perceive.
// Every element an agent can act on gets a `data-wa-id` attribute that persists on the live node, so the same
// element keeps the same id from one step to the next. Runs in the page: no network, no timers, no page globals.
(args) => {
  const ATTR = "data-wa-id";
  let nextId = args.nextId;
  // Frames are walked concurrently, each with its own block of new ids [nextId, idLimit): when the block runs out,
  // the walk says so (`overflow`) and the caller walks the frame again with room.
  const idLimit = args.idLimit || Infinity;
  let overflow = false;
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
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "META", "LINK", "TITLE", "BASE", "title",
    "desc", "defs", "style", "script"]);  // lower case: SVG elements
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

  // Text-level elements (span, b, em, code, label, ...) laid out inline flow with the text around them: their text
  // joins it as written, so `"<b>Tora</b>"` reads `"Tora"` and `ends with "<b>ino</b>".` keeps its quote and period.
  const TEXT_LEVEL_ROLES = new Set(["generic", "strong", "emphasis", "code", "label", "none", "presentation"]);
  const BREAK = "__break__";
  // Input types whose text the agent must write in a given form (or that it must not read back): shown as `type=`.
  const SHOWN_TYPES = new Set(["password", "email", "tel", "url", "number", "date", "time", "datetime-local", "month",
    "week", "color", "file", "range"]);
  const ENTRY_ROLES = new Set(["textbox", "searchbox", "combobox", "spinbutton", "listbox", "slider"]);
  // class tokens that say nothing about what an icon does (icon-font families, sizes, state and utility classes)
  const ICON_NOISE = /^(fas?|far|fal|fab|fad|fat|(fa-)?(solid|regular|light|brands|duotone|thin|sharp|fw|lg|xs|sm|xl|2xl|[0-9]+x|spin|pulse|border|inverse|stack.*|pull-.*|rotate-.*|flip-.*)|icons?|glyphicons?|bi|mdi|ti|la[srb]?|material-(icons|symbols).*|svg-inline--fa|btn|button|clickable|pointer|cursor-.*|active|selected|disabled|hidden|small|large|pull-.*|float-.*|text-.*|ml-.*|mr-.*|mx-.*|p[xytblr]?-.*|m[xytblr]?-.*|w-.*|h-.*|d-.*|js-.*|is-.*|has-.*|ng-.*|css-.*|sc-.*|.*[0-9]{3,}.*|[a-z]{1,2}[0-9]*)$/i;

  // Stylesheet rules that set `cursor: pointer`. An element that a rule gives the pointer itself is clickable even
  // inside another clickable (a nested tree item, a star icon in a clickable row), and a pointer that appears only
  // on `:hover` marks a clickable too (the walker never hovers). Cross-origin sheets cannot be read: skipped.
  function pointerSets() {
    const own = [], hover = [];
    const probe = document.createDocumentFragment();
    const valid = (sel) => { try { probe.querySelector(sel); return true; } catch (_) { return false; } };
    const split = (text) => {
      const out = []; let depth = 0, cur = "";
      for (const ch of text) {
        if (ch === "(" || ch === "[") depth++;
        else if (ch === ")" || ch === "]") depth--;
        if (ch === "," && depth === 0) { out.push(cur.trim()); cur = ""; } else cur += ch;
      }
      if (cur.trim()) out.push(cur.trim());
      return out;
    };
    const visit = (rules, depth) => {
      for (const r of rules) {
        if (r.media && r.media.mediaText && !matchMedia(r.media.mediaText).matches) continue;
        if (r.selectorText && r.style && r.style.cursor === "pointer") {
          for (const sel of split(r.selectorText)) {
            if (sel.includes("&") || sel.includes("::")) continue;
            if (sel.includes(":hover")) {
              const base = sel.replace(/:hover/g, "").trim();
              if (base && valid(base)) hover.push(base);
            } else if (valid(sel)) own.push(sel);
          }
        }
        if (r.cssRules && r.cssRules.length && depth < 4 && !r.selectorText) visit(r.cssRules, depth + 1);
      }
    };
    for (const sheet of document.styleSheets) {
      let rules;
      try { rules = sheet.cssRules; } catch (_) { continue; }
      if (rules) visit(rules, 0);
    }
    const set = (sels) => {
      if (!sels.length) return null;
      try { return new Set(document.querySelectorAll(sels.join(","))); } catch (_) { return null; }
    };
    return { own: set(own), hover: set(hover) };
  }
  const pointers = pointerSets();

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
    // each computed-style read costs: values that are almost always "none" are tested for that first, and the
    // overflow (three reads) only for boxes squeezed under 2 px
    if (parseFloat(style.opacity) < 0.1) return true;
    const filter = style.filter;
    if (filter !== "none" && /opacity\(0(\.0\d*)?\)/.test(filter)) return true;
    const pos = style.position;
    if (pos === "absolute" || pos === "fixed") {
      if (/rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)/.test(style.clip || "")) return true;
    }
    const cp = style.clipPath;
    if (cp !== "none" && /inset\(\s*(5\d|[6-9]\d|100)%/.test(cp || "")) return true;
    const t = style.transform;
    if (t && t !== "none") {
      const m = t.match(/matrix\(([^)]*)\)/);
      if (m) {
        const [a, b, c, d] = m[1].split(",").map(parseFloat);
        if (Math.abs(a * d - b * c) < 1e-3) return true;
      }
    }
    if (rect.width >= 2 && rect.height >= 2) return false;
    const clips = e.tagName === "svg" || style.overflow !== "visible" || style.overflowX !== "visible"
      || style.overflowY !== "visible";
    return clips && style.display !== "contents";
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
    const st = getComputedStyle(c);
    if (st.display === "contents") return st.visibility === "hidden";  // a <slot>: no box of its own
    if (c.checkVisibility && !c.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return true;
    return parseFloat(st.fontSize) <= 1 || parseFloat(st.opacity) < 0.1;
  }

  // Block-level tags: their text is a separate line, so a name made from content puts a space around it.
  const BLOCK_TAGS = new Set(["DIV", "P", "LI", "UL", "OL", "DL", "DT", "DD", "TABLE", "TR", "TD", "TH", "H1", "H2",
    "H3", "H4", "H5", "H6", "SECTION", "ARTICLE", "HEADER", "FOOTER", "NAV", "ASIDE", "MAIN", "BLOCKQUOTE", "PRE",
    "FORM", "FIELDSET", "FIGURE", "FIGCAPTION", "ADDRESS", "HR", "DETAILS", "SUMMARY"]);
  // A tree item's or menu item's nested group (its sub-items) is not part of its own name.
  const NESTED_GROUP = (c) => c.tagName === "UL" || c.tagName === "OL"
    || ["group", "tree", "menu", "listbox"].includes(c.getAttribute("role"));
  const OWN_TEXT_ROLES = new Set(["treeitem", "menuitem", "menuitemcheckbox", "menuitemradio", "option"]);

  function textFrom(e, depth, ownOnly) {
    // accessible name from content: text, alt of images, aria-label of descendants; nothing a person cannot see
    if (depth > 8) return "";
    let out = "";
    let ownHidden = null;
    for (const c of childNodesOf(e)) {
      if (c.nodeType === 3) {
        // the element's own words stay its name (a label drawn invisibly is still what it is called)
        if (ownHidden === null) ownHidden = depth > 0 && !!c.data.trim() && ownTextUnseen(e, getComputedStyle(e));
        if (!ownHidden) out += c.data;
      } else if (c.nodeType === 1) {
        if (SKIP.has(c.tagName)) continue;
        if (c.getAttribute("aria-hidden") === "true") continue;
        if (ownOnly && NESTED_GROUP(c)) continue;
        if (unseen(c)) continue;
        const label = c.getAttribute("aria-label");
        if (label) out += " " + label + " ";
        else if (c.tagName === "IMG") out += " " + (c.getAttribute("alt") || "") + " ";
        else if (c.tagName === "INPUT" || c.tagName === "SELECT" || c.tagName === "TEXTAREA") continue;
        else {
          const sep = c.tagName === "BR" || BLOCK_TAGS.has(c.tagName) ? " " : "";
          out += sep + textFrom(c, depth + 1, ownOnly) + sep;
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
        const t = clean([...e.labels].map((l) => textFrom(l, 0)).join(" "));
        // a label that is only a symbol (a star of a rating) is named by its tooltip
        if (t && !/[\p{L}\p{N}]/u.test(t)) {
          const tip = [...e.labels].map((l) => l.getAttribute("title") || "").join(" ").trim() || e.getAttribute("title");
          if (tip) return clean(tip);
        }
        if (t) return t;
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
      const t = clean(textFrom(e, 0, OWN_TEXT_ROLES.has(role)));
      // a symbol alone (☆, ✕, ›) says less than the tooltip a person gets by pointing at it
      if (t && actionable && !/[\p{L}\p{N}]/u.test(t) && e.getAttribute("title")) return clean(e.getAttribute("title"));
      if (t) return t;
    }
    return clean(e.getAttribute("title") || "");
  }

  // A text-less clickable (an icon) named from what a person would call it: a descendant's aria-label or title, an
  // svg <title> or <use href="#icon-star">, an image's file name, or a meaningful class (icon-star, fa-heart, star).
  function iconName(e) {
    const cands = [e, ...e.querySelectorAll("svg,i,span,img,use,em,b")].slice(0, 8);
    let fromClass = "";
    for (const c of cands) {
      const lab = c.getAttribute("aria-label") || c.getAttribute("title");
      if (lab && lab.trim()) return clean(lab);
      if (c.tagName.toLowerCase() === "svg") {
        const t = c.querySelector("title");
        if (t && t.textContent.trim()) return clean(t.textContent);
      }
      if (c.tagName.toLowerCase() === "use") {
        const h = (c.getAttribute("href") || c.getAttribute("xlink:href") || "").split("#").pop();
        if (h) return words(h.replace(/^(?:icon|fa|bi|ico|svg|i)[-_]/i, ""));
      }
      if (c.tagName === "IMG") {
        const src = (c.getAttribute("src") || "").split(/[?#]/)[0].split("/").pop().replace(/\.[a-z0-9]+$/i, "");
        if (src && !/^data:/.test(c.getAttribute("src") || "")) return words(src);
      }
      if (c.nodeType === 1 && (c === e || c.tagName === "SPAN" || c.tagName === "I")) {
        // an icon drawn as a CSS background or mask: its file name (cart.svg, icon-search.png) says what it is
        const cs = getComputedStyle(c);
        for (const img of [cs.backgroundImage, cs.maskImage || cs.webkitMaskImage]) {
          const m = img && img !== "none" && img.match(/url\(["']?([^"')]+)["']?\)/);
          if (!m || /^data:/.test(m[1])) continue;
          const f = m[1].split(/[?#]/)[0].split("/").pop().replace(/\.[a-z0-9]+$/i, "")
            .replace(/^(?:icons?|ico|ic|fa|bi|glyph|sprite)[-_]/i, "").replace(/[-_](?:icon|ico|\d+x?\d*|sm|lg|white|black|dark|light)$/i, "");
          if (f && !/^(?:sprite|icons?|bg|background|\d+)$/i.test(f)) return words(f);
        }
      }
      if (c.classList && c.classList.contains("material-icons") && c.textContent.trim()) return words(c.textContent);
      if (!fromClass && c.classList) {
        for (const tok of c.classList) {
          const m = tok.match(/^(?:fa|bi|icon|glyphicon|mdi|ti|la|ion|octicon|gg|ri|feather|lucide)-(.+)$/i)
            || tok.match(/^(.+?)[-_]icon$/i) || tok.match(/^icon[-_]?(.+)$/i);
          if (m && !ICON_NOISE.test(m[1])) { fromClass = words(m[1]); break; }
        }
        if (!fromClass) {
          for (const tok of c.classList) if (!ICON_NOISE.test(tok)) { fromClass = words(tok); break; }
        }
      }
    }
    return fromClass;
  }
  const words = (s) => clean(s.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[-_]+/g, " ").toLowerCase(), 60);

  const vw = window.innerWidth, vh = window.innerHeight;

  function visible(e, style) {
    // display:contents (a <slot>, a framework's wrapper) has no box, so checkVisibility says false; its children
    // are what shows, each judged on its own
    if (style.display === "contents") return style.visibility !== "hidden";
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
    // cursor:pointer marks a role-less clickable, unless it only inherits the cursor from a clickable ancestor.
    // parentPointer: 0 none, 1 inside a pointer-only clickable (a row, a tree item), 2 inside a link or a button;
    // a pointer the element gets from its own rule (inline or stylesheet) makes it a clickable of its own inside 1.
    if (style.cursor === "pointer") {
      if (!parentPointer) return true;
      if (parentPointer === 1 && ((e.style && e.style.cursor === "pointer") || (pointers.own && pointers.own.has(e)))) return true;
    }
    if (parentPointer !== 2 && pointers.hover && pointers.hover.has(e)) return true;
    return false;
  }

  // A checkbox or radio hidden for styling (opacity 0, clipped to a pixel, moved off the page, display:none) whose
  // <label> draws the box a person clicks: the label stands for it, with the control's role, name and states.
  function hiddenChoice(l) {
    const c = l.control;
    if (!c || c.tagName !== "INPUT" || (c.type !== "checkbox" && c.type !== "radio")) return null;
    const st = getComputedStyle(c);
    if (st.display === "none" || st.visibility === "hidden") return c;
    const r = c.getBoundingClientRect();
    const off = r.right + window.scrollX <= 0 || r.bottom + window.scrollY <= 0;
    return r.width < 2 || r.height < 2 || off || subtreeUnseen(c, st, r) ? c : null;
  }

  function assignId(e) {
    let id = parseInt(e.getAttribute(ATTR), 10);
    if (!Number.isFinite(id) || seen.has(id)) {
      if (nextId >= idLimit) { overflow = true; return null; }
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
    if (e.tagName === "INPUT" && (e.type === "checkbox" || e.type === "radio")) s.checked = e.indeterminate ? "mixed" : e.checked;
    else if (a("aria-checked") !== null) {
      const v = a("aria-checked");
      s.checked = v === "true" ? true : v === "mixed" ? "mixed" : false;  // "false" (or junk) is not checked
    }
    if (a("aria-pressed") !== null) s.pressed = a("aria-pressed") === "mixed" ? "mixed" : a("aria-pressed") === "true";
    if (e.tagName === "OPTION") { if (e.selected) s.selected = true; }
    else if (a("aria-selected") === "true") s.selected = true;
    if (a("aria-expanded") !== null) s.expanded = a("aria-expanded") === "true";
    if (e.tagName === "SUMMARY" && e.parentElement && e.parentElement.tagName === "DETAILS") s.expanded = e.parentElement.open;
    if ((e.tagName === "SELECT" && e.multiple) || a("aria-multiselectable") === "true") s.multiselectable = true;
    if (e.tagName === "TEXTAREA" || (role === "textbox" && (a("aria-multiline") === "true" || e.isContentEditable))) s.multiline = true;
    if (e.tagName === "INPUT") {
      const t = (e.getAttribute("type") || "").toLowerCase();
      if (SHOWN_TYPES.has(t)) s.type = t;
    }
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
    if (tag === "SELECT") return clean([...e.selectedOptions].map((o) => clean(o.textContent, 120)).join(e.multiple ? "; " : ", "), 300);
    if (e.isContentEditable && role === "textbox") return clean(e.textContent, 200);
    const vn = e.getAttribute("aria-valuenow");
    if (vn !== null) return e.getAttribute("aria-valuetext") || vn;
    if (tag === "PROGRESS" || tag === "METER") return String(e.value);
    return null;
  }

  const frameBox = args.offset || [0, 0];
  const shownFrames = new Set();  // <iframe>s emitted in the tree

  // Node encoding: [role, name, id|null, states|null, value|null, bbox|null, children|null, flags]
  // Text encoding: a plain string. flags: 1 = visible, 2 = name came from content
  // Text nodes and inline text-level elements build one run of text, joined as the source writes it; an element
  // node or a line break ends the run. `raw`: keep the run's edge spaces (the caller is itself inline text).
  function walkChildren(nodes, parentPointer, inheritedHidden, out, inFar, ownHidden, raw) {
    let run = null;
    const flush = () => {
      if (run === null) return;
      const t = raw ? run.replace(/\s+/g, " ") : clean(run);
      if (t) out.push(t);
      run = null;
    };
    for (const c of nodes) {
      if (c.nodeType === 3) {
        if (inFar || inheritedHidden || ownHidden) continue;
        run = run === null ? c.data : run + c.data;
      } else if (c.nodeType === 1) {
        const n = walk(c, parentPointer, inheritedHidden, inFar);
        if (n === null) continue;
        if (n === BREAK) { flush(); continue; }
        if (typeof n === "string") { run = run === null ? n : run + n; continue; }
        flush();
        if (n[0] === "__promote__") out.push(...n[1]);
        else out.push(n);
      }
    }
    flush();
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
    if (e.tagName === "BR") return BREAK;
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
    const proxied = e.tagName === "LABEL" ? hiddenChoice(e) : null;  // the control this label stands for
    if (proxied) role = roleOf(proxied);
    const pointer = style.cursor === "pointer";
    // off the page (a skip link at left:-9999px until focused) counts as unsized: nobody can click it there
    const offPage = rect.right + window.scrollX <= 0 || rect.bottom + window.scrollY <= 0;
    const sized = rect.width > 0 && rect.height > 0 && !offPage;
    const actionable = vis && (!!proxied || isClickable(e, role, style, parentPointer)) && (sized || e.tagName === "OPTION");
    const children = [];
    const isFrame = e.tagName === "IFRAME" || e.tagName === "FRAME";
    const id = actionable || isFrame ? assignId(e) : null;  // before the children: ids in page order
    const st = states(proxied || e, role);
    const display = style.display;
    const textLevel = !actionable && !isFrame && TEXT_LEVEL_ROLES.has(role) && !Object.keys(st).length
      && (display.startsWith("inline") || display === "contents");
    if (e.tagName === "SELECT") {
      for (const o of e.options) {
        const st = o.selected ? { selected: true } : null;
        children.push(["option", clean(o.textContent, 120), null, st, null, null, null, 1]);
      }
    } else if (!isFrame && e.tagName !== "TEXTAREA"  // a textarea's text is its initial value, not content
        // an inline SVG is one image (named by its <title>): its shapes are walked only when it holds text or links
        && !(e.tagName === "svg" && !e.querySelector("text,a,foreignObject"))) {
      // invisible because of its own visibility (children may override it), or unseen as a whole subtree
      const hideAll = !vis && (style.visibility === "hidden" || inheritedHidden || unseenHere);
      const hasText = !hideAll && [...e.childNodes].some((c) => c.nodeType === 3 && c.data.trim());
      const ownHidden = hasText && (ownTextUnseen(e, style) || (!inFar && behind(e, rect)));
      const native = actionable && (INTERACTIVE_ROLES.has(role) || e.tagName === "A" || e.tagName === "BUTTON");
      const level = native ? 2 : (parentPointer || (pointer || actionable ? 1 : 0));
      walkChildren(childNodesOf(e), level, hideAll, children, inFar, ownHidden, textLevel);
    }
    if (textLevel && children.every((k) => typeof k === "string")) {
      // inline text: joins the text around it; a margin or padding at its edges reads as a space
      const gap = (a, b) => (parseFloat(style[a]) || 0) + (parseFloat(style[b]) || 0) > 0 ? " " : "";
      const t = children.join(" ");
      return t ? gap("marginLeft", "paddingLeft") + t + gap("marginRight", "paddingRight") : "";
    }
    if (textLevel) {
      for (let i = children.length - 1; i >= 0; i--) {
        if (typeof children[i] !== "string") continue;
        const t = clean(children[i]);
        if (t) children[i] = t; else children.splice(i, 1);
      }
    }
    if (inFar && !actionable && !isFrame) return children.length ? ["__promote__", children] : null;
    if (inFar && actionable) farLeft--;
    const fromContent = NAME_FROM_CONTENT.has(role) || (actionable && role === "generic");
    let name = (role === "generic" && !actionable) ? "" : nameOf(proxied || e, role, actionable);
    if (actionable && !name && !ENTRY_ROLES.has(role) && !isFrame && !clean(textFrom(e, 0))) name = iconName(e);
    if (!actionable && !vis) return children.length ? ["__promote__", children] : null;
    if (offPage && rect.width > 0 && rect.height > 0 && !isFrame) return null;  // parked off the page: not seen
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
        Math.round(rect.top + frameBox[1] + e.clientTop + parseFloat(style.paddingTop))], ...frameHint(e) };
    }
    if (wantHtml) {
      extra = extra || {};
      extra.tag = e.tagName.toLowerCase();
      const at = {};
      for (const k of HTML_ATTRS) { const v = e.getAttribute(k); if (v !== null && v !== "") at[k] = clean(v, 120); }
      if (Object.keys(at).length) extra.at = at;
    }
    if (extra) node.push(extra);
    if (isFrame) shownFrames.add(e);
    return node;
  }

  // Which Playwright frame an <iframe> holds is matched by URL (no round trip per frame); a same-origin frame with
  // an empty body (an unfilled ad slot) is marked so that it is not walked at all.
  function frameHint(e) {
    let doc = null;
    try { doc = e.contentDocument; } catch (_) { doc = null; }
    if (!doc) return { u: e.src || "about:blank" };
    let u = "about:blank";
    try { u = doc.location ? doc.location.href : u; } catch (_) { /* keep about:blank */ }
    const b = doc.body;
    const empty = !b || (!b.firstElementChild && !(b.textContent || "").trim());
    return empty ? { u, fe: 1 } : { u };
  }
  // frames the walk did not emit (hidden, clipped to a pixel): their URLs, so the caller skips them without asking
  // Playwright which <iframe> holds them (two round trips each). An id alone does not mean shown: ids are handed
  // out before the walk decides that a 1x1 tracker frame is unseen.
  function hiddenFrames() {
    const out = [];
    for (const f of document.querySelectorAll("iframe,frame")) if (!shownFrames.has(f)) out.push(frameHint(f).u);
    return out;
  }

  const body = document.body || document.documentElement;
  const tree = [];
  if (body) walkChildren(childNodesOf(body), 0, false, tree);
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
    overflow,
    hidden: document.querySelector("iframe,frame") ? hiddenFrames() : [],
  });
}

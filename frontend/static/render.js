/* Safe rendering of the assistant's display content: a tiny markdown
 * subset, tables and bar charts, all built as DOM nodes whose text is set
 * with textContent. No user data ever goes through innerHTML. */
"use strict";

const Render = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- inline: **bold**, *em* / _em_, `code`, [text](http…) ---------------
  const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|(?<![\w])_[^_\s][^_]*_(?![\w]))|(\[[^\]]+\]\([^)\s]+\))/;

  function safeHref(url) {
    try {
      const u = new URL(url, window.location.href);
      return u.protocol === "http:" || u.protocol === "https:" || u.protocol === "mailto:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function inline(parent, text) {
    let rest = text;
    while (rest.length) {
      const m = INLINE.exec(rest);
      if (!m) { parent.appendChild(document.createTextNode(rest)); break; }
      if (m.index > 0) parent.appendChild(document.createTextNode(rest.slice(0, m.index)));
      const tok = m[0];
      if (m[1]) parent.appendChild(el("code", null, tok.slice(1, -1)));
      else if (m[2]) inline(parent.appendChild(el("strong")), tok.slice(2, -2));
      else if (m[3]) inline(parent.appendChild(el("em")), tok.slice(1, -1));
      else {
        const label = tok.slice(1, tok.indexOf("]("));
        const href = safeHref(tok.slice(tok.indexOf("](") + 2, -1));
        if (href) {
          const a = el("a", null, label);
          a.href = href;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          parent.appendChild(a);
        } else {
          parent.appendChild(document.createTextNode(tok));
        }
      }
      rest = rest.slice(m.index + tok.length);
    }
    return parent;
  }

  // --- blocks --------------------------------------------------------------
  function markdown(source) {
    const root = el("div", "markdown");
    const lines = String(source === undefined || source === null ? "" : source).replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    let para = [];
    const flush = () => {
      if (para.length) inline(root.appendChild(el("p")), para.join(" "));
      para = [];
    };
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (/^```/.test(line)) {
        flush();
        const code = [];
        i += 1;
        while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
        i += 1;
        root.appendChild(el("pre")).appendChild(el("code", null, code.join("\n")));
        continue;
      }
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flush();
        inline(root.appendChild(el("h" + Math.min(6, m[1].length + 2))), m[2]);
      } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
        flush();
        root.appendChild(el("hr"));
      } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
        flush();
        const ordered = /^\s*\d/.test(line);
        const list = root.appendChild(el(ordered ? "ol" : "ul"));
        while (i < lines.length && (m = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]))) {
          inline(list.appendChild(el("li")), m[1]);
          i += 1;
        }
        continue;
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        flush();
        const quote = [];
        while (i < lines.length && (m = /^>\s?(.*)$/.exec(lines[i]))) { quote.push(m[1]); i += 1; }
        inline(root.appendChild(el("blockquote")), quote.join(" "));
        continue;
      } else if (!line.trim()) {
        flush();
      } else {
        para.push(line.trim());
      }
      i += 1;
    }
    flush();
    return root;
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function table(content) {
    const columns = Array.isArray(content && content.columns) ? content.columns : [];
    const rows = Array.isArray(content && content.rows) ? content.rows : [];
    const t = el("table", "display-table");
    const headRow = t.appendChild(el("thead")).appendChild(el("tr"));
    columns.forEach((c) => headRow.appendChild(el("th", null, cellText(c))));
    const body = t.appendChild(el("tbody"));
    rows.forEach((row) => {
      const tr = body.appendChild(el("tr"));
      const cells = Array.isArray(row) ? row : columns.map((c) => (row && typeof row === "object" ? row[c] : row));
      cells.forEach((cell) => tr.appendChild(el("td", null, cellText(cell))));
    });
    return t;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, String(attrs[k])));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function chart(content) {
    const labels = Array.isArray(content && content.labels) ? content.labels : [];
    const values = (Array.isArray(content && content.values) ? content.values : []).map((v) => Number(v) || 0);
    const n = Math.max(1, values.length);
    const width = 480, height = 220, left = 40, bottom = 40, top = 16;
    const max = Math.max(1e-9, ...values.map((v) => Math.abs(v)));
    const plotH = height - bottom - top;
    const step = (width - left - 8) / n;
    const root = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" });
    root.appendChild(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - 4, y2: height - bottom }));
    values.forEach((v, idx) => {
      const h = Math.max(1, (Math.abs(v) / max) * plotH);
      const x = left + idx * step + step * 0.15;
      const w = Math.max(2, step * 0.7);
      const bar = root.appendChild(svg("rect", { class: "bar", x, y: height - bottom - h, width: w, height: h }));
      bar.appendChild(svg("title", {}, `${cellText(labels[idx])}: ${v}`));
      root.appendChild(svg("text", { class: "value", x: x + w / 2, y: height - bottom - h - 3, "text-anchor": "middle" }, v));
      root.appendChild(svg("text", { x: x + w / 2, y: height - bottom + 14, "text-anchor": "middle" }, cellText(labels[idx]).slice(0, 14)));
    });
    return root;
  }

  /* display event → nodes: kind markdown | table | series */
  function display(d) {
    const wrap = el("div", "display-item");
    if (d.title) wrap.appendChild(el("h3", "display-title", d.title));
    const c = d.content;
    if (d.kind === "markdown") wrap.appendChild(markdown(typeof c === "string" ? c : cellText(c)));
    else if (d.kind === "table") wrap.appendChild(table(c));
    else if (d.kind === "series") wrap.appendChild(chart(c));
    else wrap.appendChild(el("pre", null, cellText(c)));
    return wrap;
  }

  return { el, markdown, table, chart, display, cellText };
})();

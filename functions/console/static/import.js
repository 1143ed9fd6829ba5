/* Import a file of links into the console's owner: Snip's own export (CSV or JSON Lines) and the
 * usual CSV headers of Bitly, Shlink and YOURLS, through POST /links/batch in chunks of 100.
 *
 * Each row keeps its key as an alias when it can be one. A row whose alias is taken is looked up:
 * the owner's own link with the same url is "already there" (a re-run creates nothing twice);
 * otherwise the row is created again without the alias (a new key, said in the report). A row
 * marked disabled (or already expired) is disabled after its create. Every row ends in the report
 * with its line number in the file. Visits are not imported (CONTRACT, "GET /links/export").
 */
"use strict";
(function () {
  const CHUNK = 100;
  const ALIAS = /^[A-Za-z0-9_-]{3,64}$/;
  // Header names (lower case) -> the field they carry; the first present wins.
  const COLUMNS = {
    url: ["url", "long_url", "long url", "longurl"],
    key: ["key", "keyword", "shortcode"],
    shortLink: ["link", "bitlink", "shorturl", "short_url"],
    title: ["title"], notes: ["notes"], tags: ["tags"],
    expires_at: ["expires_at"], max_visits: ["max_visits"], redirect_status: ["redirect_status"],
    forward_query: ["forward_query"], disabled: ["disabled"], rules: ["rules"], split: ["split"],
  };

  // RFC 4180 records, each with the line it starts on (a quoted field may span lines).
  function csvRecords(text) {
    const records = [];
    let fields = [], field = "", quoted = false, line = 1, start = 1, i = 0;
    const endRecord = () => {
      fields.push(field);
      if (fields.length > 1 || fields[0] !== "") records.push({ line: start, fields });
      fields = []; field = "";
    };
    while (i < text.length) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
        if (c === '"') { quoted = false; i += 1; continue; }
        if (c === "\n") line += 1;
        field += c; i += 1; continue;
      }
      if (c === '"' && field === "") { quoted = true; i += 1; continue; }
      if (c === ",") { fields.push(field); field = ""; i += 1; continue; }
      if (c === "\r" && text[i + 1] === "\n") { i += 1; continue; }
      if (c === "\n") { endRecord(); line += 1; start = line; i += 1; continue; }
      field += c; i += 1;
    }
    if (field !== "" || fields.length) endRecord();
    return records;
  }

  // Rows as objects {line, row: {field: text or value}} or {line, error}.
  function rowsOf(text) {
    const trimmed = text.replace(/^\uFEFF/, "");
    if (trimmed.trimStart().startsWith("{")) {
      return trimmed.split("\n").flatMap((raw, i) => {
        if (!raw.trim()) return [];
        try { return [{ line: i + 1, row: JSON.parse(raw) }]; }
        catch (_) { return [{ line: i + 1, error: "This line is not JSON." }]; }
      });
    }
    const [header, ...records] = csvRecords(trimmed);
    if (!header) return [];
    const names = header.fields.map((name) => name.trim().toLowerCase());
    const column = {};
    for (const [fieldName, aliases] of Object.entries(COLUMNS)) {
      const index = aliases.map((a) => names.indexOf(a)).find((n) => n >= 0);
      if (index !== undefined) column[fieldName] = index;
    }
    return records.map(({ line, fields }) => {
      const row = {};
      for (const [fieldName, index] of Object.entries(column)) {
        if (fields[index] !== undefined && fields[index] !== "") row[fieldName] = fields[index];
      }
      if (!row.key && row.shortLink) row.key = row.shortLink.replace(/\/+$/, "").split("/").pop();
      return { line, row };
    });
  }

  const truthy = (value) => value === true || /^(true|1|yes)$/i.test(String(value));
  const jsonOf = (value) => (typeof value === "string" ? JSON.parse(value) : value);

  // A row -> the POST /links body it becomes and whether to disable the link afterwards.
  function linkOf(row) {
    if (!row.url) throw new Error("This row has no url.");
    const body = { url: String(row.url).trim() };
    if (row.key && ALIAS.test(row.key)) body.alias = row.key;
    if (row.title) body.title = String(row.title).slice(0, 200);
    if (row.notes) body.notes = String(row.notes);
    const tags = Array.isArray(row.tags) ? row.tags : String(row.tags || "").split(/[\s,|]+/);
    const cleanTags = [...new Set(tags.filter(Boolean).map((t) => t.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 32)))];
    if (cleanTags.length) body.tags = cleanTags;
    let disabled = truthy(row.disabled);
    if (row.expires_at) {
      if (Date.parse(row.expires_at) > Date.now()) body.expires_at = row.expires_at;
      else disabled = true; // an expired link comes in disabled
    }
    if (row.max_visits) body.max_visits = Number(row.max_visits);
    if (row.redirect_status) body.redirect_status = Number(row.redirect_status);
    if (truthy(row.forward_query)) body.forward_query = true; // only what differs from a new link
    try {
      const rules = jsonOf(row.rules), split = jsonOf(row.split);
      if (rules && rules.length) body.rules = rules;
      if (split && split.length) body.split = split;
    } catch (_) {
      throw new Error("Its rules or split are not JSON.");
    }
    return { body, disabled };
  }

  /* Imports `text`; `api` is window.Snip.api; `progress(text)` is told how far it got.
   * Resolves to [{line, key, outcome: "created" | "already there" | "failed", message}]. */
  async function importText(text, api, progress) {
    const report = [];
    const pending = [];
    for (const { line, row, error } of rowsOf(text)) {
      if (error) { report.push({ line, key: "", outcome: "failed", message: error }); continue; }
      try { pending.push({ line, asked: row.key || "", ...linkOf(row) }); }
      catch (e) { report.push({ line, key: row.key || "", outcome: "failed", message: e.message }); }
    }
    const retry = [];
    const create = async (items, second) => {
      for (let i = 0; i < items.length; i += CHUNK) {
        progress(`Importing rows ${i + 1}–${Math.min(i + CHUNK, items.length)} of ${items.length}…`);
        const chunk = items.slice(i, i + CHUNK);
        let results;
        try {
          ({ results } = await api.batch(chunk.map((item) => item.body)));
        } catch (error) { // the whole chunk refused (503, 429, a refused key): each row says why
          for (const item of chunk) report.push({ line: item.line, key: item.asked, outcome: "failed", message: error.message });
          continue;
        }
        for (const [n, result] of results.entries()) {
          const item = chunk[n];
          if (result.status === 201) {
            if (item.disabled) await api.update(result.link.key, { disabled: true });
            const renamed = second && item.asked ? ` (new key: ${item.asked} was taken)` : "";
            report.push({ line: item.line, key: result.link.key, outcome: "created", message: (item.disabled ? "Created disabled" : "Created") + renamed + "." });
          } else if (!second && result.error && result.error.code === "alias_taken") {
            const mine = await api.get(item.body.alias).catch(() => null);
            if (mine && mine.url === item.body.url) {
              report.push({ line: item.line, key: mine.key, outcome: "already there", message: "You already have this link." });
            } else {
              const { alias, ...rest } = item.body;
              retry.push({ ...item, body: rest });
            }
          } else {
            report.push({ line: item.line, key: item.asked, outcome: "failed", message: result.error ? result.error.message : `Status ${result.status}.` });
          }
        }
      }
    };
    await create(pending, false);
    await create(retry, true);
    return report.sort((a, b) => a.line - b.line);
  }

  window.Snip = Object.assign(window.Snip || {}, { importer: { rowsOf, linkOf, importText } });
})();

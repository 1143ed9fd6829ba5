/* The Snip console: views (key, links, one link, its stats) over the API client in api.js.
 *
 * Hash routes keep it one static page: #/ (the owner's summary, create, the list with its bulk
 * actions, export and import), #/links/KEY (details, edit, rules and split, disable, delete),
 * #/links/KEY/stats. The first screen's overview, list, bulk actions, export and import are
 * links.js (the import's reading and batches: import.js), the rules and split editor is
 * routing.js, the shared helpers ui.js. Nothing is rendered from strings of API data: text goes in through
 * textContent, so a link's URL or tag can never become markup.
 */
"use strict";
(function () {
  const { api, key, chart, ui, home } = window.Snip;
  const { $, announce, formatTime, stateOf, badge, busy, cell, goneForGood, confirmAction } = ui;
  const VIEWS = ["view-key", "view-home", "view-link", "view-stats"];
  // Form field name -> the suffix of its input's id (create-url, edit-max, ...).
  const FIELD_IDS = { url: "url", alias: "alias", tags: "tags", expires_at: "expires", max_visits: "max", redirect_status: "status", title: "title", notes: "notes" };

  // Tags as typed in a comma-separated field, as the API keeps them (lower case, in order, once each).
  function tagsOf(id) {
    const typed = $(id).value.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
    return typed.filter((tag, i) => typed.indexOf(tag) === i);
  }
  const BREAKDOWNS = [
    ["referrers", "Referrers", "Referrer"], ["countries", "Countries", "Country"],
    ["devices", "Devices", "Device"], ["browsers", "Browsers", "Browser"],
    ["os", "Operating systems", "Operating system"], ["sources", "Sources", "Source"],
  ];

  let current = null; // the link shown in view-link
  const objectUrls = new Map(); // QR slot -> object URLs to revoke when it is redrawn

  // ---- small helpers ------------------------------------------------------------------------
  // <input type="datetime-local"> speaks local wall time; the API speaks RFC 3339.
  function toRfc3339(localValue) {
    return new Date(localValue).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  function toLocalInput(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function clearErrors(prefix) {
    for (const suffix of Object.values(FIELD_IDS)) {
      const input = $(`${prefix}-${suffix}`);
      if (!input) continue;
      input.removeAttribute("aria-invalid");
      $(`${prefix}-${suffix}-error`).textContent = "";
    }
    $(`${prefix}-error`).textContent = "";
  }

  // The API's error.message goes next to the field it names, else next to the form's button.
  function showError(prefix, error) {
    const input = error.field ? $(`${prefix}-${FIELD_IDS[error.field]}`) : null;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      $(`${input.id}-error`).textContent = error.message;
      const more = input.closest("details");
      if (more) more.open = true;
      input.focus();
    } else {
      $(`${prefix}-error`).textContent = error.message;
    }
    if (error.code === "key_refused") showKeyView(error.message);
  }

  ui.keyRefused = (message) => showKeyView(message);

  // ---- views and routing ---------------------------------------------------------------------
  function show(view) {
    for (const id of VIEWS) $(id).hidden = id !== view;
    $("session").hidden = view === "view-key";
  }

  function showKeyView(message) {
    key.forget();
    show("view-key");
    $("key-input-error").textContent = message || "";
    if (message) $("key-input").setAttribute("aria-invalid", "true");
    $("key-input").focus();
  }

  function route() {
    if (!key.get()) { showKeyView(); return; }
    const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "links" && parts[1] && parts[2] === "stats") { showStats(parts[1]); return; }
    if (parts[0] === "links" && parts[1]) { showLink(parts[1]); return; }
    show("view-home");
    home.show();
  }

  // ---- the key --------------------------------------------------------------------------------
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("key-input");
    const value = input.value.trim();
    input.removeAttribute("aria-invalid");
    $("key-input-error").textContent = "";
    if (!value) {
      input.setAttribute("aria-invalid", "true");
      $("key-input-error").textContent = "Paste an API key first.";
      input.focus();
      return;
    }
    const button = event.submitter || event.target.querySelector("button");
    busy(button, true);
    key.set(value);
    try {
      await api.checkKey();
      input.value = "";
      home.stale();
      announce("Key accepted.");
      route();
      if (!$("view-home").hidden) $("create-url").focus(); // where a person goes next
    } catch (error) {
      if (error.code !== "key_refused") key.forget();
      showKeyView(error.message);
    } finally {
      busy(button, false);
    }
  });

  $("forget").addEventListener("click", () => {
    key.forget();
    home.forget();
    $("created").hidden = true;
    announce("Key forgotten.");
    location.hash = "#/";
    showKeyView();
  });

  // ---- copy and QR ----------------------------------------------------------------------------
  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const text = button.dataset.copyText || $(button.dataset.copyFrom).textContent;
    await copyText(text);
    button.textContent = "Copied";
    announce("Copied " + text + " to the clipboard.");
    window.setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });

  function objectUrl(slotName, blob) {
    const url = URL.createObjectURL(blob);
    objectUrls.get(slotName).push(url);
    return url;
  }

  async function showQr(slotName, link) {
    const slot = document.querySelector(`[data-qr-slot="${slotName}"]`);
    for (const url of objectUrls.get(slotName) || []) URL.revokeObjectURL(url);
    objectUrls.set(slotName, []);
    slot.replaceChildren();
    try {
      const svg = await api.qr(link.key, "svg");
      const img = document.createElement("img");
      img.src = objectUrl(slotName, svg);
      img.alt = "QR code for " + link.short_url;
      img.width = 160;
      img.height = 160;
      const svgLink = document.createElement("a");
      svgLink.href = objectUrl(slotName, svg);
      svgLink.download = link.key + ".svg";
      svgLink.textContent = "Download SVG";
      svgLink.className = "button secondary";
      const pngButton = document.createElement("button");
      pngButton.type = "button";
      pngButton.className = "secondary";
      pngButton.textContent = "Download PNG";
      pngButton.addEventListener("click", async () => {
        try {
          const png = await api.qr(link.key, "png");
          const a = document.createElement("a");
          a.href = objectUrl(slotName, png);
          a.download = link.key + ".png";
          document.body.append(a);
          a.click();
          a.remove();
        } catch (error) { announce(error.message); }
      });
      const row = document.createElement("div");
      row.className = "actions";
      row.append(svgLink, pngButton);
      slot.append(img, row);
    } catch (error) {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = error.missingRoute ? "QR codes are not available from this API yet." : error.message;
      slot.append(note);
    }
  }

  // ---- create ---------------------------------------------------------------------------------
  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors("create");
    const form = event.target;
    const fields = { url: $("create-url").value.trim() };
    const alias = $("create-alias").value.trim();
    if (alias) fields.alias = alias;
    const tags = tagsOf("create-tags");
    if (tags.length) fields.tags = tags;
    if ($("create-expires").value) fields.expires_at = toRfc3339($("create-expires").value);
    if ($("create-max").value !== "") fields.max_visits = Number($("create-max").value);
    const title = $("create-title").value.trim();
    if (title) fields.title = title;
    fields.redirect_status = Number($("create-status").value);
    const button = form.querySelector('button[type="submit"]');
    busy(button, true);
    try {
      const link = await api.create(fields);
      form.reset();
      $("created-link").textContent = link.short_url;
      $("created-link").href = link.short_url;
      $("created-target").textContent = link.url;
      $("created-details").href = "#/links/" + encodeURIComponent(link.key);
      $("created").hidden = false;
      announce("Short link created: " + link.short_url);
      showQr("created", link);
      home.reload();
    } catch (error) {
      showError("create", error);
    } finally {
      busy(button, false);
    }
  });

  // ---- one link -------------------------------------------------------------------------------
  function fillLink(link) {
    current = link;
    $("link-title").textContent = "Link " + link.key;
    $("link-short").textContent = link.short_url;
    $("link-short").href = link.short_url;
    badge($("link-state"), stateOf(link));
    $("link-visits").textContent = String(link.visits) + (link.max_visits ? ` of ${link.max_visits}` : "");
    $("link-bots").textContent = String(link.bot_visits || 0);
    $("link-last").textContent = formatTime(link.last_visit_at);
    $("link-created").textContent = formatTime(link.created_at);
    $("link-tags").textContent = link.tags && link.tags.length ? link.tags.join(", ") : "—";
    $("link-stats").href = `#/links/${encodeURIComponent(link.key)}/stats`;
    $("edit-url").value = link.url;
    $("edit-expires").value = toLocalInput(link.expires_at);
    $("edit-max").value = link.max_visits === null || link.max_visits === undefined ? "" : String(link.max_visits);
    $("edit-status").value = String(link.redirect_status);
    $("edit-tags").value = (link.tags || []).join(", ");
    $("link-title-text").textContent = link.title || "—";
    $("edit-title").value = link.title || "";
    $("edit-notes").value = link.notes || "";
    window.Snip.routing.fill(link);
    $("link-toggle").textContent = link.disabled ? "Enable" : "Disable";
    $("link-body").hidden = false;
  }

  async function showLink(linkKey) {
    show("view-link");
    $("link-title").textContent = "Link " + linkKey;
    $("link-error").textContent = "";
    $("action-error").textContent = $("action-ok").textContent = $("edit-ok").textContent = "";
    $("routing-error").textContent = $("routing-ok").textContent = "";
    clearErrors("edit");
    if (!current || current.key !== linkKey) $("link-body").hidden = true;
    try {
      const link = await api.get(linkKey);
      fillLink(link);
      showQr("link", link);
    } catch (error) {
      $("link-body").hidden = true;
      $("link-error").textContent = error.message;
      if (error.code === "key_refused") showKeyView(error.message);
    }
  }

  $("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors("edit");
    $("edit-ok").textContent = "";
    const changes = {};
    const url = $("edit-url").value.trim();
    if (url !== current.url) changes.url = url;
    const expires = $("edit-expires").value;
    if (!expires && current.expires_at) changes.expires_at = null;
    else if (expires && expires !== toLocalInput(current.expires_at)) changes.expires_at = toRfc3339(expires);
    const max = $("edit-max").value;
    if (max === "" && current.max_visits != null) changes.max_visits = null;
    else if (max !== "" && Number(max) !== current.max_visits) changes.max_visits = Number(max);
    const status = Number($("edit-status").value);
    if (status !== current.redirect_status) changes.redirect_status = status;
    const tags = tagsOf("edit-tags");
    if (tags.join(",") !== (current.tags || []).join(",")) changes.tags = tags; // [] removes them all
    const title = $("edit-title").value.trim();
    if (title !== (current.title || "")) changes.title = title || null; // empty removes it
    const notes = $("edit-notes").value;
    if (notes !== (current.notes || "")) changes.notes = notes || null;
    await saveLink("edit", event.target, changes);
  });

  // PATCHes what a form of the link's page changed; says so, or shows the API's message.
  async function saveLink(prefix, form, changes) {
    if (!Object.keys(changes).length) { $(`${prefix}-ok`).textContent = "Nothing to change."; return; }
    const button = form.querySelector('button[type="submit"]');
    busy(button, true);
    try {
      fillLink(await api.update(current.key, changes));
      $(`${prefix}-ok`).textContent = "Saved: redirects follow the change within 2 seconds.";
      home.stale();
    } catch (error) {
      showError(prefix, error);
    } finally {
      busy(button, false);
    }
  }

  $("routing-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("routing-error").textContent = $("routing-ok").textContent = "";
    let changes;
    try {
      changes = window.Snip.routing.changes(current);
    } catch (error) {
      $("routing-error").textContent = error.message;
      if (error.focus) error.focus.focus();
      return;
    }
    await saveLink("routing", event.target, changes);
  });

  $("link-toggle").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    $("action-error").textContent = $("action-ok").textContent = "";
    busy(button, true);
    try {
      const link = await api.update(current.key, { disabled: !current.disabled });
      fillLink(link);
      $("action-ok").textContent = link.disabled
        ? "Disabled: within 2 seconds the short link answers 410 Gone, until you enable it."
        : "Enabled: the short link redirects again within 2 seconds.";
      home.stale();
    } catch (error) {
      $("action-error").textContent = error.message;
    } finally {
      busy(button, false);
    }
  });

  function confirmDelete(link) {
    return confirmAction("Delete this link?", "Delete",
      goneForGood(link.short_url, "its key is"));
  }

  $("link-delete").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    $("action-error").textContent = $("action-ok").textContent = "";
    if (!(await confirmDelete(current))) { button.focus(); return; }
    busy(button, true);
    try {
      await api.remove(current.key);
      announce(`Link ${current.key} deleted.`);
      $("list-status").textContent = `Link ${current.key} deleted.`;
      current = null;
      home.stale();
      location.hash = "#/";
    } catch (error) {
      $("action-error").textContent = error.message;
    } finally {
      busy(button, false);
    }
  });

  // ---- stats ----------------------------------------------------------------------------------
  let statsKey = null;

  // Text nodes with a line-break opportunity (<wbr>) before each inner dot: a long referrer (a
  // host) wraps between its labels ("news.example" / ".com") or after a hyphen, as any text does,
  // never inside a word unless one alone is wider than the column. (Not inline blocks: they
  // would read as "news .example .com" to a screen reader.)
  function breakAtDots(text) {
    const nodes = [];
    text.split(/(?=\.)/).forEach((part, i) => {
      if (i) nodes.push(document.createElement("wbr"));
      nodes.push(document.createTextNode(part));
    });
    return nodes;
  }

  function breakdown(name, title, column, entries) {
    const section = document.createElement("section");
    section.className = "breakdown";
    const h = document.createElement("h3");
    h.textContent = title;
    section.append(h);
    if (!entries || !entries.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No visits in this range.";
      section.append(p);
      return section;
    }
    const most = Math.max(...entries.map((e) => e.visits));
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const text of [column, "Visits"]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.append(th);
    }
    const body = document.createElement("tbody");
    for (const entry of entries) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.append(...breakAtDots(entry.value));
      const td = tr.insertCell();
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.round((entry.visits / most) * 100)}%`; // CSSOM, allowed by the CSP
      const n = document.createElement("span");
      n.className = "count";
      n.textContent = String(entry.visits);
      td.append(n, bar);
      tr.prepend(th);
    }
    table.append(body);
    table.dataset.breakdown = name;
    section.append(table);
    return section;
  }

  // "2" -> "Rule 3", "split:1" -> "Split target 2", "default" -> "No rule matched (the link's URL)".
  function sentBy(rule) {
    if (rule === "default") return "No rule matched (the link's URL)";
    if (String(rule).startsWith("split:")) return "Split target " + (Number(rule.slice(6)) + 1);
    return "Rule " + (Number(rule) + 1);
  }

  function showDestinations(entries) {
    $("stats-destinations").hidden = !entries; // an API without destinations
    if (!entries) return;
    $("destinations").replaceChildren(...entries.map((entry) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = entry.value;
      tr.append(th);
      cell(tr, sentBy(entry.rule));
      cell(tr, String(entry.visits), "number");
      return tr;
    }));
    if (!entries.length) {
      const tr = document.createElement("tr");
      cell(tr, "No visits in this range.").colSpan = 3;
      $("destinations").append(tr);
    }
  }

  async function loadStats() {
    $("stats-error").textContent = "";
    const days = Number($("stats-range").value);
    const to = new Date();
    const from = new Date(to.getTime() - days * 86400000);
    const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
    try {
      const stats = await api.stats(statsKey, { from: iso(from), to: iso(to), interval: $("stats-interval").value });
      $("stats-visits").textContent = String(stats.total.visits);
      $("stats-bots").textContent = String(stats.total.bot_visits);
      $("stats-asof").textContent = "Counted up to " + formatTime(stats.as_of) + ".";
      $("stats-body").hidden = false; // before drawing: the chart takes its width from its box
      chart.render($("stats-chart"), stats.series, stats.interval);
      $("stats-caption").textContent = `Visits per ${stats.interval}, ${formatTime(stats.from)} to ${formatTime(stats.to)}`;
      showDestinations(stats.destinations);
      $("stats-breakdowns").replaceChildren(...BREAKDOWNS.map(([name, title, column]) => breakdown(name, title, column, stats[name])));
      $("stats-body").hidden = false;
    } catch (error) {
      $("stats-body").hidden = true;
      $("stats-error").textContent = error.missingRoute ? "Statistics are not available from this API yet." : error.message;
      if (error.code === "key_refused") showKeyView(error.message);
    }
  }

  function showStats(linkKey) {
    show("view-stats");
    statsKey = linkKey;
    $("stats-title").textContent = "Statistics of " + linkKey;
    $("stats-back").href = "#/links/" + encodeURIComponent(linkKey);
    $("stats-back").textContent = "← Link " + linkKey;
    loadStats();
  }

  $("stats-form").addEventListener("submit", (event) => { event.preventDefault(); loadStats(); });

  window.addEventListener("hashchange", () => {
    route();
    const heading = document.querySelector(`#${VIEWS.find((id) => !$(id).hidden)} h1`);
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  });
  route();
})();

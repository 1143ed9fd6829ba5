/* The console's first screen below "Shorten a link": the owner's overview (GET /links/summary),
 * the table of links with search, order, tag filter and paging, the bulk actions on the selected
 * rows (POST /links/bulk), the export (every page of GET /links/export) and the import (import.js).
 */
"use strict";
(function () {
  const { api, key, importer, ui } = window.Snip;
  const { $, announce, plural, goneForGood, formatTime, stateOf, badge, busy, linkCell, cell, download, confirmAction } = ui;
  const PAGE_SIZE = 20;
  const list = { tag: "", q: "", order: "newest", cursors: [null], page: 0, loadedFor: null };

  // ---- the summary ------------------------------------------------------------------------------
  async function loadSummary() {
    $("summary-error").textContent = "";
    try {
      const summary = await api.summary();
      $("summary-links").textContent = summary.links.toLocaleString();
      $("summary-visits").textContent = summary.visits.toLocaleString();
      $("summary-bots").textContent = summary.bot_visits.toLocaleString();
      $("top-links").replaceChildren(...summary.top.map((top) => {
        const tr = document.createElement("tr");
        cell(tr, linkCell(top.key));
        cell(tr, top.title || top.url, "target");
        cell(tr, top.visits.toLocaleString(), "number");
        return tr;
      }));
      $("top-empty").hidden = summary.top.length > 0;
      $("summary-body").hidden = false;
    } catch (error) {
      $("summary-body").hidden = true;
      // An API without the route reads "summary" as a key (404) or has no such route at all.
      $("summary-error").textContent = error.missingRoute || error.status === 404
        ? "The overview is not available from this API yet." : error.message;
    }
  }

  // ---- the list -------------------------------------------------------------------------------
  function row(link) {
    const tr = document.createElement("tr");
    tr.dataset.key = link.key;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "select";
    box.value = link.key;
    box.setAttribute("aria-label", "Select " + link.key);
    cell(tr, box, "select");
    const head = cell(tr, linkCell(link.key), "short-cell");
    const state = document.createElement("span");
    badge(state, stateOf(link));
    head.append(" ", state);
    const target = cell(tr, link.title || link.url || "", "target");
    if (link.title) target.title = link.url;
    const tagsCell = cell(tr, "", "tags-cell");
    tagsCell.dataset.label = "Tags";
    if (link.tags && link.tags.length) {
      const tags = document.createElement("ul");
      tags.className = "tags";
      tags.setAttribute("aria-label", "Tags");
      for (const tag of link.tags) {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "tag";
        button.textContent = tag;
        button.setAttribute("aria-label", "Filter by tag " + tag);
        button.addEventListener("click", () => { $("filter-tag").value = tag; applyFilter(); });
        item.append(button);
        tags.append(item);
      }
      tagsCell.append(tags);
    }
    const created = cell(tr, link.created_at ? new Date(link.created_at).toLocaleDateString(undefined, { dateStyle: "medium" }) : "—", "created");
    if (link.created_at) created.title = formatTime(link.created_at);
    created.dataset.label = "Created";
    const visits = cell(tr, String(link.visits), "visits number");
    visits.dataset.label = "Visits";
    return tr;
  }

  const boxes = () => [...$("links").querySelectorAll("input.select")];
  const selectedKeys = () => boxes().filter((box) => box.checked).map((box) => box.value);

  function showSelection() {
    const all = boxes(), n = selectedKeys().length;
    $("selected-count").textContent = n ? `${plural(n, "link")} selected.` : "None selected.";
    $("select-all").checked = all.length > 0 && n === all.length;
    $("select-all").indeterminate = n > 0 && n < all.length;
    $("select-all").disabled = all.length === 0;
    for (const button of $("bulk").querySelectorAll("button[data-bulk]")) button.disabled = n === 0;
  }

  async function loadList() {
    list.loadedFor = key.get();
    $("list-error").textContent = "";
    $("list-status").textContent = "Loading…";
    try {
      const page = await api.list({
        limit: PAGE_SIZE, cursor: list.cursors[list.page], tag: list.tag, q: list.q,
        order: list.order === "newest" ? undefined : list.order, // the default: an older API knows no order
      });
      $("links").replaceChildren(...page.links.map(row));
      list.cursors[list.page + 1] = page.next_cursor;
      $("page-next").hidden = !page.next_cursor;
      $("page-prev").hidden = list.page === 0;
      const filters = [list.q && `matching “${list.q}”`, list.tag && `tagged “${list.tag}”`].filter(Boolean).join(" ");
      $("list-status").textContent = page.links.length
        ? `Page ${list.page + 1}: ${plural(page.links.length, "link")}${filters ? " " + filters : ""}, ${list.order} first.`
        : filters ? `No links ${filters}.` : "No links yet: shorten one above.";
    } catch (error) {
      $("links").replaceChildren();
      $("list-status").textContent = "";
      $("page-next").hidden = $("page-prev").hidden = true;
      if (error.missingRoute) {
        $("list-status").textContent = "This API cannot list links yet: links you create appear above.";
      } else {
        $("list-error").textContent = error.message;
        if (error.code === "key_refused") ui.keyRefused(error.message);
      }
    }
    showSelection();
  }

  function applyFilter() {
    list.q = $("filter-q").value.trim();
    list.tag = $("filter-tag").value.trim().toLowerCase();
    list.order = $("filter-order").value;
    list.cursors = [null];
    list.page = 0;
    $("filter-clear").hidden = !list.tag && !list.q;
    loadList();
  }

  $("filter-form").addEventListener("submit", (event) => { event.preventDefault(); applyFilter(); });
  $("filter-order").addEventListener("change", applyFilter);
  $("filter-clear").addEventListener("click", () => {
    $("filter-tag").value = $("filter-q").value = "";
    applyFilter();
    $("filter-q").focus();
  });
  $("list-refresh").addEventListener("click", () => { loadList(); loadSummary(); });
  $("page-next").addEventListener("click", () => { list.page += 1; loadList(); });
  $("page-prev").addEventListener("click", () => { list.page = Math.max(0, list.page - 1); loadList(); });
  $("links").addEventListener("change", showSelection);
  $("select-all").addEventListener("change", (event) => {
    for (const box of boxes()) box.checked = event.target.checked;
    showSelection();
  });

  // ---- bulk actions -----------------------------------------------------------------------------
  const DONE = { disable: "Disabled", enable: "Enabled", delete: "Deleted", add_tags: "Tagged", remove_tags: "Untagged" };

  $("bulk").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-bulk]");
    if (!button) return;
    const action = button.dataset.bulk;
    const keys = selectedKeys();
    $("bulk-error").textContent = $("bulk-ok").textContent = "";
    $("bulk-failures").replaceChildren();
    let tags;
    if (action.endsWith("_tags")) {
      tags = $("bulk-tag").value.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
      if (!tags.length) { $("bulk-error").textContent = "Type a tag first."; $("bulk-tag").focus(); return; }
    }
    if (action === "delete" && !(await confirmAction(
      `Delete ${plural(keys.length, "link")}?`, `Delete ${plural(keys.length, "link")}`,
      goneForGood(plural(keys.length, "short link"), "their keys are"),
    ))) { button.focus(); return; }
    busy(button, true);
    try {
      const { results } = await api.bulk(action, keys, tags);
      const failed = results.filter((result) => result.status >= 400);
      const done = results.length - failed.length;
      await loadList(); // the report comes with the list as it is now (and its boxes cleared)
      loadSummary();
      $("bulk-ok").textContent = `${DONE[action]} ${plural(done, "link")}${failed.length ? `; ${failed.length} failed:` : "."}`;
      $("bulk-failures").replaceChildren(...failed.map((result) => {
        const li = document.createElement("li");
        li.textContent = `${result.key}: ${result.error ? result.error.message : "status " + result.status}`;
        return li;
      }));
      announce($("bulk-ok").textContent);
    } catch (error) {
      $("bulk-error").textContent = error.message;
      if (error.code === "key_refused") ui.keyRefused(error.message);
    } finally {
      busy(button, false);
      showSelection();
    }
  });

  // ---- export and import ------------------------------------------------------------------------
  $("export-csv").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    $("transfer-error").textContent = "";
    $("transfer-status").textContent = "Exporting…";
    busy(button, true);
    try {
      const csv = await api.exportAll("csv");
      const name = `snip-links-${new Date().toISOString().slice(0, 10)}.csv`;
      download(name, new Blob([csv], { type: "text/csv" }));
      $("transfer-status").textContent = `Exported your links as ${name}.`;
    } catch (error) {
      $("transfer-status").textContent = "";
      // An API without the route reads "export" as a key (404) or has no such route at all.
      $("transfer-error").textContent = error.missingRoute || error.status === 404
        ? "Export is not available from this API yet." : error.message;
    } finally {
      busy(button, false);
    }
  });

  $("import-start").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const file = $("import-file").files[0];
    $("transfer-error").textContent = $("transfer-status").textContent = "";
    if (!file) { $("transfer-error").textContent = "Choose a file to import first."; $("import-file").focus(); return; }
    busy(button, true);
    try {
      const report = await importer.importText(await file.text(), api, (text) => { $("transfer-status").textContent = text; });
      const count = (outcome) => report.filter((r) => r.outcome === outcome).length;
      $("import-summary").textContent =
        `${file.name}: ${count("created")} created, ${count("already there")} already there, ${count("failed")} failed.`;
      $("import-rows").replaceChildren(...report.map((r) => {
        const tr = document.createElement("tr");
        tr.className = "outcome-" + r.outcome.replace(" ", "-");
        for (const text of [String(r.line), r.key, r.outcome, r.message]) cell(tr, text);
        return tr;
      }));
      $("import-report").hidden = false;
      $("transfer-status").textContent = "Import finished.";
      announce($("import-summary").textContent);
      reload();
    } catch (error) {
      $("transfer-status").textContent = "";
      $("transfer-error").textContent = error.message;
    } finally {
      busy(button, false);
    }
  });

  // From the first page again, with the overview (after a create or an import).
  function reload() {
    list.cursors = [null];
    list.page = 0;
    loadList();
    loadSummary();
  }

  window.Snip.home = {
    // Reads the list and the overview unless they are already those of the key in use.
    show() { if (list.loadedFor !== key.get()) { loadList(); loadSummary(); } },
    reload,
    stale() { list.loadedFor = null; }, // a link changed elsewhere: read again when shown
    forget() { list.loadedFor = null; $("links").replaceChildren(); },
  };
})();

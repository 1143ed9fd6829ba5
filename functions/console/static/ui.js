/* What the console's modules share: a few helpers for text, state, tables, buttons and the
 * confirmation dialog. Nothing here knows a view; console.js sets keyRefused, the one way back to
 * the key view.
 */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  function announce(text) {
    const region = $("announce");
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 50);
  }
  window.Snip.announce = announce;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const goneForGood = (what, keys) =>
    `${what} will stop working for good (410 Gone, within 2 seconds) and ${keys} never reused. This cannot be undone.`;

  function formatTime(iso) {
    return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
  }

  function stateOf(link) {
    if (link.disabled) return "disabled";
    if (link.expires_at && Date.parse(link.expires_at) <= Date.now()) return "expired";
    if (link.max_visits !== null && link.max_visits !== undefined && link.visits >= link.max_visits) return "used up";
    return "active";
  }

  function badge(node, state) {
    node.textContent = state;
    node.className = "badge state-" + state.replace(" ", "-");
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", String(on));
  }

  function linkCell(linkKey) {
    const a = document.createElement("a");
    a.href = "#/links/" + encodeURIComponent(linkKey);
    a.className = "key";
    a.textContent = linkKey;
    return a;
  }

  function cell(tr, content, className) {
    const td = tr.insertCell();
    if (className) td.className = className;
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    return td;
  }

  function download(name, blob) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function confirmAction(title, okLabel, text) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-ok").textContent = okLabel;
    $("confirm-text").textContent = text;
    return new Promise((resolve) => {
      const done = (answer) => () => { dialog.close(); resolve(answer); };
      const ok = done(true), cancel = done(false);
      $("confirm-ok").onclick = ok;
      $("confirm-cancel").onclick = cancel;
      dialog.oncancel = (e) => { e.preventDefault(); cancel(); };
      dialog.showModal();
      $("confirm-cancel").focus();
    });
  }

  window.Snip = Object.assign(window.Snip || {}, {
    ui: {
      $, announce, plural, goneForGood, formatTime, stateOf, badge, busy, linkCell, cell, download, confirmAction,
      keyRefused: () => {}, // replaced by console.js: show the key view with the API's message
    },
  });
})();

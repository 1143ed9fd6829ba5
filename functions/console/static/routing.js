/* A link's routing in the console: redirect rules (add, move up or down, remove), the A/B split
 * (targets and weights with their running sum) and forward_query (CONTRACT, "Redirect rules").
 *
 * The editor is plain form controls rebuilt from a list of rules whenever the list's shape changes
 * (add, move, remove); the values live in the controls and are read back from them, so typing
 * never redraws anything. One rule's form edits one query pair: a rule that came with more pairs
 * keeps the others as they were. Everything else (a missing URL, a bad country) is the API's to
 * judge: its error.message is shown as it is.
 */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_RULES = 10, MAX_TARGETS = 5;
  const DEVICES = ["mobile", "tablet", "desktop"];
  const SYSTEMS = [["ios", "iOS"], ["android", "Android"], ["windows", "Windows"], ["macos", "macOS"], ["linux", "Linux"], ["chromeos", "ChromeOS"]];

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (name === "text") node.textContent = value;
      else if (name in node && !name.includes("-")) node[name] = value;
      else node.setAttribute(name, value);
    }
    node.append(...children.filter(Boolean));
    return node;
  }

  function textField(id, label, value, hint, type) {
    const input = el("input", { id, value: value || "", type: type || "text", autocomplete: "off", spellcheck: false });
    const field = el("div", { className: "field" }, el("label", { htmlFor: id, text: label }), input);
    if (hint) {
      input.setAttribute("aria-describedby", id + "-hint");
      field.append(el("p", { className: "hint", id: id + "-hint", text: hint }));
    }
    return field;
  }

  function checkboxes(id, legend, options, chosen) {
    const set = el("fieldset", { className: "choices", id }, el("legend", { text: legend }));
    for (const [value, label] of options) {
      const boxId = `${id}-${value}`;
      set.append(el("span", { className: "check" },
        el("input", { type: "checkbox", id: boxId, value, checked: (chosen || []).includes(value) }),
        el("label", { htmlFor: boxId, text: label })));
    }
    return set;
  }

  // ---- rules ------------------------------------------------------------------------------------
  function ruleItem(rule, i, count) {
    const when = rule.when || {};
    const pairs = Object.entries(when.query || {});
    const [name, value] = pairs[0] || ["", ""];
    const n = i + 1, p = `rule-${n}`;
    const li = el("li", { className: "rule" });
    li.dataset.moreQuery = JSON.stringify(Object.fromEntries(pairs.slice(1)));
    const move = (label, delta, disabled) => el("button", {
      type: "button", className: "secondary", text: label, disabled,
      "aria-label": `${label} rule ${n}`, "data-move": String(delta),
    });
    li.append(el("fieldset", {},
      el("legend", { text: `Rule ${n}` }),
      el("div", { className: "grid" },
        textField(`${p}-country`, "Countries", (when.country || []).join(", "), "ISO codes, e.g. DE, AT"),
        textField(`${p}-language`, "Languages", (when.language || []).join(", "), "e.g. fr, de"),
        checkboxes(`${p}-device`, "Devices", DEVICES.map((d) => [d, d]), when.device),
        checkboxes(`${p}-os`, "Operating systems", SYSTEMS, when.os),
        textField(`${p}-qname`, "Query parameter", name, "e.g. utm_source"),
        textField(`${p}-qvalue`, "Query value", value)),
      pairs.length > 1 && el("p", { className: "hint", text: "This rule also requires " +
        pairs.slice(1).map(([k, v]) => `${k}=${v}`).join(", ") + " in the query (kept as it is)." }),
      el("div", { className: "field wide" },
        el("label", { htmlFor: `${p}-url`, text: "Send to" }),
        el("input", { id: `${p}-url`, type: "url", inputmode: "url", value: rule.url || "", placeholder: "https://example.com/page" })),
      el("div", { className: "actions" },
        move("Move up", -1, i === 0), move("Move down", 1, i === count - 1),
        el("button", { type: "button", className: "secondary", text: "Remove", "aria-label": `Remove rule ${n}`, "data-remove": "" }))));
    return li;
  }

  const listOf = (text, upper) => text.split(/[\s,]+/).filter(Boolean).map((s) => (upper ? s.toUpperCase() : s.toLowerCase()));
  const checked = (id) => [...document.querySelectorAll(`#${id} input:checked`)].map((box) => box.value);

  function readRules() {
    return [...$("rules").children].map((li, i) => {
      const p = `rule-${i + 1}`;
      const when = {};
      const country = listOf($(`${p}-country`).value, true);
      const language = listOf($(`${p}-language`).value, false);
      const device = checked(`${p}-device`), os = checked(`${p}-os`);
      if (country.length) when.country = country;
      if (device.length) when.device = device;
      if (os.length) when.os = os;
      if (language.length) when.language = language;
      const query = JSON.parse(li.dataset.moreQuery || "{}");
      const name = $(`${p}-qname`).value.trim();
      if (name) query[name] = $(`${p}-qvalue`).value;
      if (Object.keys(query).length) when.query = query;
      return { when, url: $(`${p}-url`).value.trim() };
    });
  }

  function drawRules(rules, focus) {
    $("rules").replaceChildren(...rules.map((rule, i) => ruleItem(rule, i, rules.length)));
    $("rules-empty").hidden = rules.length > 0;
    $("rule-add").disabled = rules.length >= MAX_RULES;
    if (focus) (document.querySelector(focus.selector) || $(focus.fallback) || $("rule-add")).focus();
  }

  $("rule-add").addEventListener("click", () => {
    const rules = readRules();
    rules.push({ when: {}, url: "" });
    drawRules(rules, { selector: `#rule-${rules.length}-country` });
  });

  $("rules").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const rules = readRules();
    const i = [...$("rules").children].indexOf(button.closest("li"));
    if (button.dataset.move) {
      const to = i + Number(button.dataset.move);
      [rules[i], rules[to]] = [rules[to], rules[i]];
      const again = `#rules > li:nth-child(${to + 1}) button[data-move="${button.dataset.move}"]:not([disabled])`;
      drawRules(rules, { selector: again, fallback: `rule-${to + 1}-url` });
      window.Snip.ui.announce(`Rule ${i + 1} is now rule ${to + 1}.`);
    } else if ("remove" in button.dataset) {
      rules.splice(i, 1);
      drawRules(rules, { selector: `#rules > li:nth-child(${Math.min(i + 1, rules.length)}) input` });
      window.Snip.ui.announce(`Rule ${i + 1} removed.`);
    }
  });

  // ---- the split --------------------------------------------------------------------------------
  function targetItem(target, i) {
    const n = i + 1;
    return el("li", { className: "target-row" },
      el("div", { className: "field" },
        el("label", { htmlFor: `split-${n}-url`, text: `Target ${n} URL` }),
        el("input", { id: `split-${n}-url`, type: "url", inputmode: "url", value: target.url || "", placeholder: "https://example.com/b" })),
      el("div", { className: "field weight" },
        el("label", { htmlFor: `split-${n}-weight`, text: "Weight (%)" }),
        el("input", { id: `split-${n}-weight`, type: "number", min: "1", max: "99", step: "1", inputmode: "numeric", value: target.weight === undefined ? "" : String(target.weight) })),
      el("button", { type: "button", className: "secondary", text: "Remove", "aria-label": `Remove target ${n}` }));
  }

  function readSplit() {
    return [...$("split").children].map((li, i) => {
      const weight = $(`split-${i + 1}-weight`).value;
      return { url: $(`split-${i + 1}-url`).value.trim(), weight: weight === "" ? 0 : Number(weight) };
    });
  }

  function sumOf(split) { return split.reduce((total, target) => total + target.weight, 0); }

  function showSum() {
    const split = readSplit();
    const sum = sumOf(split);
    const node = $("split-sum");
    node.textContent = split.length ? `The weights add up to ${sum}${sum === 100 ? "." : " (they must add up to 100)."}` : "";
    node.classList.toggle("error", split.length > 0 && sum !== 100);
    return sum;
  }

  function drawSplit(split, focusId) {
    $("split").replaceChildren(...split.map(targetItem));
    $("split-empty").hidden = split.length > 0;
    $("split-add").disabled = split.length >= MAX_TARGETS;
    showSum();
    if (focusId) ($(focusId) || $("split-add")).focus();
  }

  $("split").addEventListener("input", showSum);
  $("split").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const split = readSplit();
    const i = [...$("split").children].indexOf(button.closest("li"));
    split.splice(i, 1);
    drawSplit(split, split.length ? `split-${Math.min(i + 1, split.length)}-url` : "split-add");
    window.Snip.ui.announce(`Target ${i + 1} removed.`);
  });
  $("split-add").addEventListener("click", () => {
    const split = readSplit();
    // Two targets to start with (a split has 2 to 5), sharing what is left of 100.
    const adding = split.length ? 1 : 2;
    const left = Math.max(100 - sumOf(split), 0);
    for (let k = 0; k < adding; k++) split.push({ url: "", weight: Math.floor(left / adding) + (k < left % adding ? 1 : 0) });
    drawSplit(split, `split-${split.length - adding + 1}-url`);
  });

  // ---- the whole form ---------------------------------------------------------------------------
  window.Snip.routing = {
    fill(link) {
      drawRules(link.rules || []);
      drawSplit(link.split || []);
      $("forward-query").checked = Boolean(link.forward_query);
    },
    /* The routing fields that differ from `link`, or throws an Error (with `focus`, an element)
     * when the split's weights do not add up to 100. */
    changes(link) {
      const rules = readRules(), split = readSplit();
      if (split.length && sumOf(split) !== 100) {
        const error = new Error(`The split's weights add up to ${sumOf(split)}: they must add up to 100 before saving.`);
        error.focus = $("split-1-weight");
        throw error;
      }
      const changed = {};
      // Compared in one spelling (keys sorted at every level): the API may order a rule's keys otherwise.
      const canonical = (value) => JSON.stringify(value || [], (_, v) =>
        v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v);
      const same = (a, b) => canonical(a) === canonical(b);
      if (!same(rules, link.rules)) changed.rules = rules;
      if (!same(split, link.split)) changed.split = split;
      if ($("forward-query").checked !== Boolean(link.forward_query)) changed.forward_query = $("forward-query").checked;
      return changed;
    },
  };
})();

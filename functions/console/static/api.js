/* The API client of the Snip console: the key, the requests, and the API's errors made readable.
 *
 * The key lives in this tab's sessionStorage only and goes only to this origin (CSP connect-src
 * 'self'). Every failure becomes an ApiError whose message is the API's own error.message when
 * Snip answered, or a sentence for API Gateway's own answers (403 Forbidden, 429, missing route).
 */
"use strict";
(function () {
  const KEY_SLOT = "snip.apiKey";
  const base = (document.querySelector('meta[name="snip-base"]') || {}).content || "";

  // Which form field an API error code belongs to (CONTRACT section 2).
  const FIELD_OF_CODE = {
    invalid_url: "url",
    invalid_alias: "alias",
    alias_taken: "alias",
    invalid_expires_at: "expires_at",
    invalid_max_visits: "max_visits",
    invalid_redirect_status: "redirect_status",
    invalid_tags: "tags",
    invalid_title: "title",
    invalid_notes: "notes",
    invalid_forward_query: "forward_query",
  };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = FIELD_OF_CODE[code] || null;
    }
    // The route is not deployed (API Gateway: 403 Missing Authentication Token).
    get missingRoute() { return this.code === "missing_route"; }
  }

  const key = {
    get() { return sessionStorage.getItem(KEY_SLOT); },
    set(value) { sessionStorage.setItem(KEY_SLOT, value); },
    forget() { sessionStorage.removeItem(KEY_SLOT); },
  };

  async function errorOf(response) {
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    const status = response.status;
    if (data && data.error && data.error.message) {
      return new ApiError(status, data.error.code || "error", data.error.message);
    }
    const said = data && data.message;
    if (status === 429 && said === "Limit Exceeded") {
      return new ApiError(status, "quota", "This key's daily quota is used up: wait until it resets (midnight UTC) or use another key.");
    }
    if (status === 429) {
      return new ApiError(status, "throttled", "Too many requests right now: wait a few seconds, then try again.");
    }
    if (status === 403 && said === "Missing Authentication Token") {
      return new ApiError(status, "missing_route", "This API does not offer that yet.");
    }
    if (status === 403) {
      return new ApiError(status, "key_refused", "The API refused this key (403 Forbidden). Check it, or forget it and paste another.");
    }
    if (status === 503 || status === 504 || status === 502) {
      return new ApiError(status, "unavailable", "The service is briefly unavailable: try again in a moment.");
    }
    return new ApiError(status, "http_" + status, "The API answered " + status + ".");
  }

  async function send(method, path, options) {
    const opts = options || {};
    const headers = { "x-api-key": key.get() || "" };
    let body;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    const query = opts.query ? new URLSearchParams(
      Object.entries(opts.query).filter(([, v]) => v !== undefined && v !== null && v !== "")
    ).toString() : "";
    let response;
    try {
      response = await fetch(base + path + (query ? "?" + query : ""), {
        method, headers, body, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
      });
    } catch (_) {
      throw new ApiError(0, "network", "The API could not be reached: check the connection and try again.");
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  const json = async (method, path, options) => {
    const response = await send(method, path, options);
    return response.status === 204 ? null : response.json();
  };
  const link = (k) => "/links/" + encodeURIComponent(k);

  // The cursor of a `Link: <...?cursor=...>; rel="next"` header, or null on the last page. Only
  // the cursor is taken: the next request goes to this origin whatever host the header names.
  function nextCursor(response) {
    const header = response.headers.get("link") || "";
    for (const part of header.split(",")) {
      const found = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
      if (found) return new URL(found[1], location.href).searchParams.get("cursor");
    }
    return null;
  }

  window.Snip = Object.assign(window.Snip || {}, {
    ApiError,
    key,
    api: {
      // A read that succeeds for any accepted key (links.read is the least scope a key has): the
      // first link of the owner's first page. API Gateway's 403 Forbidden means it was refused.
      async checkKey() {
        await json("GET", "/links", { query: { limit: 1 } });
      },
      create: (fields) => json("POST", "/links", { json: fields }),
      list: (query) => json("GET", "/links", { query }),
      get: (k) => json("GET", link(k)),
      update: (k, fields) => json("PATCH", link(k), { json: fields }),
      remove: (k) => json("DELETE", link(k)),
      stats: (k, query) => json("GET", link(k) + "/stats", { query }),
      summary: () => json("GET", "/links/summary"),
      batch: (links) => json("POST", "/links/batch", { json: { links } }),
      bulk: (action, keys, tags) => json("POST", "/links/bulk", { json: tags ? { action, keys, tags } : { action, keys } }),
      // Every page of GET /links/export, as one file: the header row once, then each page's rows.
      async exportAll(format) {
        let text = "";
        let cursor = null;
        do {
          const response = await send("GET", "/links/export", { query: { format, cursor } });
          let page = await response.text();
          if (text && format === "csv") page = page.slice(page.indexOf("\n") + 1);
          if (text && !text.endsWith("\n") && page) text += "\n";
          text += page;
          cursor = nextCursor(response);
        } while (cursor);
        return text;
      },
      async qr(k, format) {
        const response = await send("GET", link(k) + "/qr", { query: { format } });
        return response.blob();
      },
    },
  });
})();

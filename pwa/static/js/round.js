/* Linli offline round: when "my households" opens online, keep this month's pages of the
 * visitor's own households on the phone, so that any of them (its visit form and its visit
 * history) opens with no network. The server sends them in one answer (/visits/round, audited
 * as one read); they go into a cache named after the person and the month, which the service
 * worker falls back to when the network fails. app.js deletes the cache for another person,
 * another month and on sign-out. No inline script (CSP).
 */
"use strict";

(() => {
  const status = document.getElementById("round-status");
  const round = document.body.dataset.round;
  if (!status || !round || !("caches" in window) || !("serviceWorker" in navigator)) {
    return;
  }
  const NAME = "linli-round-" + round;
  const STAMP = "linli-round-fetched";
  // Opening the list again within this time reuses what the phone already keeps.
  const FRESH_MS = 10 * 60 * 1000;

  function stamp() {
    try {
      return JSON.parse(localStorage.getItem(STAMP) || "{}");
    } catch (error) {
      return {};
    }
  }

  function ready() {
    status.textContent = status.dataset.ready;
    status.hidden = false;
  }

  // The styles and scripts this page uses, which the round's pages use too. Shell files too:
  // a deploy replaces the shell's cache, and the round's pages name the files of their day.
  function staticFiles() {
    const urls = new Set();
    document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach((el) => {
      const url = new URL(el.src || el.href, location.href);
      if (url.origin === location.origin) {
        urls.add(url.pathname + url.search);
      }
    });
    return Array.from(urls);
  }

  async function keep(pages) {
    const cache = await caches.open(NAME);
    const wanted = new Set();
    for (const [path, html] of Object.entries(pages)) {
      const url = new URL(path, location.origin).href;
      wanted.add(url);
      await cache.put(url, new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
    }
    for (const path of staticFiles()) {
      const url = new URL(path, location.origin).href;
      wanted.add(url);
      if (!(await cache.match(url))) {
        await cache.add(url);
      }
    }
    // A household no longer in the round (moved out, another building) leaves the phone too.
    for (const request of await cache.keys()) {
      if (!wanted.has(request.url)) {
        await cache.delete(request);
      }
    }
  }

  async function refresh() {
    const last = stamp();
    if (last.round === round && Date.now() - last.at < FRESH_MS && (await caches.has(NAME))) {
      ready();
      return;
    }
    const response = await fetch(status.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.includes("application/json")) {
      return;
    }
    const body = await response.json();
    if (body.round !== round) {
      return; // signed in as someone else meanwhile, or the month turned: keep nothing
    }
    await keep(body.pages);
    localStorage.setItem(STAMP, JSON.stringify({ round: round, at: Date.now() }));
    ready();
  }

  if (navigator.onLine) {
    refresh().catch((error) => console.warn("Linli: offline round not kept:", error));
  } else {
    caches.has(NAME).then((kept) => kept && ready());
  }
})();

/* Linli service worker: served from /sw.js, where the server fills in the version and files.
 *
 * It keeps the app shell (styles, scripts, icons, manifest, the offline page). Pages and
 * fragments always come from the network, because they carry residents' personal data. The one
 * exception is the visiting round: the page script (round.js) keeps the pages of a visitor's
 * own households for this month in a cache named "linli-round-<month>-<person hash>", and
 * this worker falls back to it only when the network fails. The page script owns those caches
 * (it replaces them, and deletes them for another person, another month or a sign-out).
 */
"use strict";

const VERSION = "__SHELL_VERSION__";
const CACHE_PREFIX = "linli-shell-";
const CACHE = CACHE_PREFIX + VERSION;
const SHELL = "__SHELL_FILES__";
const OFFLINE_URL = "/offline";
const ROUND_PREFIX = "linli-round-";
const SHELL_PATHS = new Set(SHELL.map((url) => new URL(url, self.location.origin).pathname));

function isStatic(url) {
  return new URL(url, self.location.origin).pathname.startsWith("/static/");
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        Promise.all(
          SHELL.map((url) =>
            isStatic(url)
              ? // Static URLs carry their content's hash, and the page that registered this
                // worker has just loaded them: take them from the HTTP cache only, never a
                // second download. One it has not (yet) is kept on first use (see fetch).
                fetch(url, { cache: "only-if-cached", mode: "same-origin" })
                  .then((response) => (response.ok ? cache.put(url, response) : undefined))
                  .catch(() => undefined)
              : // The offline page and the manifest (no-cache: revalidated).
                cache.add(url)
          )
        )
      )
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      // Older shells only: the round's caches belong to the page script and outlive a deploy.
      .then((keys) =>
        Promise.all(
          keys.filter((key) => !key.startsWith(ROUND_PREFIX) && key !== CACHE).map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

function thisMonth() {
  const now = new Date();
  return now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0");
}

// A page of this month's round (never an older month's), or nothing.
function roundCopy(request) {
  const prefix = ROUND_PREFIX + thisMonth() + "-";
  return caches.keys().then((keys) =>
    keys
      .filter((key) => key.startsWith(prefix))
      .reduce(
        (found, key) => found.then((hit) => hit || caches.open(key).then((cache) => cache.match(request.url))),
        Promise.resolve(undefined)
      )
  );
}

function offlinePage() {
  return caches
    .open(CACHE)
    .then((cache) => cache.match(OFFLINE_URL))
    .then((cached) => cached || Response.error());
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // Network first: pages are personal and must be fresh. Without a network: this month's
    // round if it holds the page, else the offline page.
    event.respondWith(
      fetch(request).catch(() => roundCopy(request).then((cached) => cached || offlinePage()))
    );
    return;
  }
  if (SHELL_PATHS.has(url.pathname)) {
    // Cache first: shell files change only with a new version of this worker. The exact URL
    // (with its hash): a page of a newer deploy asks for files this worker does not have.
    // Without a network, the round's copy: install keeps only what the HTTP cache already
    // held, and a file it missed (the page was still loading it) must not leave the round's
    // pages without their script.
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) =>
          cache.match(request).then(
            (cached) =>
              cached ||
              fetch(request)
                .then((response) => {
                  if (response.ok) {
                    cache.put(request, response.clone());
                  }
                  return response;
                })
                .catch(() => roundCopy(request).then((kept) => kept || Response.error()))
          )
        )
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Scripts the round's pages need (visit-queue.js) are kept with the round.
    event.respondWith(fetch(request).catch(() => roundCopy(request).then((cached) => cached || Response.error())));
    return;
  }
  // Everything else (fragments) goes to the network untouched.
});

/* Linli service worker: served from /sw.js, where the server fills in the version and files.
 *
 * It keeps only the app shell (styles, scripts, icons, manifest, the offline page). Pages and
 * fragments always come from the network, because they carry residents' personal data.
 */
"use strict";

const VERSION = "__SHELL_VERSION__";
const CACHE_PREFIX = "linli-shell-";
const CACHE = CACHE_PREFIX + VERSION;
const SHELL = "__SHELL_FILES__";
const OFFLINE_URL = "/offline";
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
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

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
    // Network first: pages are personal and must be fresh; the cache only says "offline".
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (SHELL_PATHS.has(url.pathname)) {
    // Cache first: shell files change only with a new version of this worker. The exact URL
    // (with its hash): a page of a newer deploy asks for files this worker does not have.
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) =>
          cache.match(request).then(
            (cached) =>
              cached ||
              fetch(request).then((response) => {
                if (response.ok) {
                  cache.put(request, response.clone());
                }
                return response;
              })
          )
        )
    );
  }
  // Everything else (fragments, other files) goes to the network untouched.
});

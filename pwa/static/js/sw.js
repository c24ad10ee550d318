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

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // Static files have their content's hash in the URL, so the browser's HTTP cache (which
      // the page just filled) cannot hold an old version: taking them from it downloads
      // nothing twice. The offline page and the manifest are revalidated (no-cache).
      .then((cache) => cache.addAll(SHELL))
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
        .then((cache) => cache.match(request))
        .then((cached) => cached || fetch(request))
    );
  }
  // Everything else (fragments, other files) goes to the network untouched.
});

/* Linli page script: registers the service worker. No inline scripts anywhere (strict CSP). */
"use strict";

if ("serviceWorker" in navigator) {
  const register = () =>
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      // The app works without it; only installing and the offline page need it.
      console.warn("Linli: service worker not registered:", error);
    });
  // Once the page is loaded and the browser idle: the worker then precaches the page's own
  // files from the HTTP cache, finished writing by then, instead of downloading them again.
  const whenIdle = (run) =>
    "requestIdleCallback" in window ? requestIdleCallback(run, { timeout: 2000 }) : setTimeout(run, 500);
  window.addEventListener("load", () => whenIdle(register));
}

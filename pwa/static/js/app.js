/* Linli page script: registers the service worker. No inline scripts anywhere (strict CSP). */
"use strict";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      // The app works without it; only installing and the offline page need it.
      console.warn("Linli: service worker not registered:", error);
    });
  });
}

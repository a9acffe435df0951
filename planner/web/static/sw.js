// periodize's service worker: the athlete's pages open without a network (the last copy seen),
// the static files from the cache. Log entries are not queued here: app.js keeps them on the
// phone and sends them once, with their key, when the network returns.
"use strict";
var CACHE = "periodize-v1";
// The path the site sits under (behind a proxy's path: /periodize), from where this was found.
var ROOT = new URL(self.registration.scope).pathname.replace(/\/$/, "");
var STATIC = ["app.css", "app.js", "icon.svg", "icon-192.png"].map(function (name) {
  return ROOT + "/static/" + name;
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(STATIC); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(ROOT + "/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request);
    }));
    return;
  }
  if (url.pathname.indexOf(ROOT + "/a/") === 0) {       // the athlete's pages: network first
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function () {
      return caches.match(request).then(function (hit) {
        return hit || new Response("Offline, and this page was not opened before.",
          {status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}});
      });
    }));
  }
});

// periodize: the rest timer, and log entries kept on the phone while offline (sent once, with
// the key the page gave each form, when the network returns). No inline script anywhere.
"use strict";
(function () {
  var OUTBOX = "periodize-outbox";
  var script = document.currentScript;
  var ROOT = (script && script.getAttribute("data-root")) || "";   // behind a proxy's path
  var CACHE = "periodize-v1";        // the service worker's cache (sw.js)

  function outbox() {
    try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function keep(items) { localStorage.setItem(OUTBOX, JSON.stringify(items)); }
  function say(text) {
    var box = document.getElementById("outbox");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
  }
  function pending() {
    var n = outbox().length;
    say(n ? n + (n === 1 ? " entry" : " entries") +
      " saved on this phone, to be sent when you are online." : "");
  }

  function send(item) {
    return fetch(item.action, {
      method: "POST", body: item.body, credentials: "same-origin",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    });
  }

  var flushing = false;
  function flush() {
    if (flushing) { return Promise.resolve(); }
    var items = outbox();
    if (!items.length) { return Promise.resolve(); }
    flushing = true;
    var said = [];
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        return send(item).then(function (response) {
          // Any answer from the server settles the entry (a duplicate key is answered with the
          // first entry's words); only a network failure keeps it for later.
          keep(outbox().filter(function (other) { return other.key !== item.key; }));
          return response.json().then(function (data) {
            said.push((data.said || [data.error || ""]).join(" "));
          }, function () { return null; });
        });
      });
    });
    return chain.then(function () {
      flushing = false;
      pending();
      if (said.length) { say("Sent from this phone: " + said.join(" ")); }
    }, function () { flushing = false; pending(); });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function offlineForm(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // A key of its own for each entry: a page opened from the phone's cache holds the key
      // the server gave it last time, already used.
      var field = form.querySelector("input[name=key]");
      var key = newKey();
      if (field) { field.value = key; }
      var body = new URLSearchParams(new FormData(form)).toString();
      var item = {action: form.action, body: body, key: key};
      send(item).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) {
            window.location.assign(form.action.replace(/log$/, "logged/") + encodeURIComponent(key));
          } else {
            say((data.error || "Not recorded.") + " Nothing was changed.");
          }
        });
      }, function () {
        var items = outbox().filter(function (other) { return other.key !== key; });
        items.push(item);
        keep(items);
        pending();
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      });
    });
  }

  function timer(button) {
    var shown = button.nextElementSibling;
    var handle = null;
    button.addEventListener("click", function () {
      var left = parseInt(button.getAttribute("data-rest"), 10);
      if (handle) { clearInterval(handle); }
      shown.textContent = left + " s";
      handle = setInterval(function () {
        left -= 1;
        if (left <= 0) {
          clearInterval(handle);
          handle = null;
          shown.textContent = "Rest over: next set";
          if (navigator.vibrate) { navigator.vibrate(300); }
        } else {
          shown.textContent = left + " s";
        }
      }, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-offline]").forEach(offlineForm);
    document.querySelectorAll("button.timer").forEach(timer);
    pending();
    if (navigator.onLine) {
      flush();
      // Keep this page for opening without a network (the service worker answers from here).
      if (window.caches && document.querySelector("link[rel=manifest]")) {
        caches.open(CACHE).then(function (cache) { return cache.add(location.pathname); })
          .catch(function () { return null; });
      }
    }
  });
  window.addEventListener("online", flush);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(ROOT + "/sw.js").catch(function () { return null; });
  }
})();

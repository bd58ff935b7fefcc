// phonesim web pages: the live parts. No framework, no build step.
"use strict";
(function () {
  // Live sections: refetch the page and swap the section on each event.
  function liveSection(id) {
    var busy = false, again = false;
    return function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.pathname, {credentials: "same-origin"}).then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(id), cur = document.getElementById(id);
          if (fresh && cur) { cur.replaceWith(fresh); }
        }).catch(function () {}).finally(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    };
  }

  function listen(onEvent) {
    if (!window.EventSource) { return; }
    var es = new EventSource("/api/events");
    es.onmessage = onEvent;
    es.addEventListener("overflow", onEvent);
  }

  function setText(el, text) { if (el && el.textContent !== text) { el.textContent = text; } }

  // The Phone page: render the status JSON into the picture.
  function renderPhone(st) {
    var lcd = st.lcd || {};
    setText(document.getElementById("lcd-title"), lcd.title || "");
    var lines = document.getElementById("lcd-lines");
    if (lines) {
      lines.replaceChildren.apply(lines, (lcd.lines || []).map(function (t) {
        var d = document.createElement("div"); d.textContent = t; return d;
      }));
    }
    (lcd.soft_keys || []).forEach(function (label, i) {
      setText(document.getElementById("soft-" + (i + 1)), label);
    });
    var leds = lcd.leds || {};
    document.querySelectorAll("[data-lamp]").forEach(function (el) {
      el.dataset.state = leds[el.dataset.lamp] || "off";
    });
    setText(document.getElementById("hook"), st.hook);
    var hs = document.getElementById("handset");
    if (hs) { hs.dataset.hook = st.hook === "off_hook" ? "hang" : "lift"; }
  }

  function refreshPhone() {
    fetch("/api/status", {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(renderPhone).catch(function () {});
  }

  function press(phone, body) {
    body.append("csrf", phone.dataset.csrf);
    return fetch("/phone/key", {method: "POST", credentials: "same-origin", body: body})
      .then(function () { refreshPhone(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var phone = document.getElementById("phone");
    if (phone) {
      phone.addEventListener("click", function (e) {
        var b = e.target.closest("button");
        if (!b) { return; }
        var body = new URLSearchParams();
        if (b.dataset.hook) { body.append("hook", b.dataset.hook); }
        else if (b.dataset.key) { body.append("key", b.dataset.key); }
        else { return; }
        press(phone, body);
      });
      refreshPhone();
      listen(refreshPhone);
      return;
    }
    ["status", "log"].forEach(function (id) {
      if (document.getElementById(id)) { listen(liveSection(id)); }
    });
  });
})();

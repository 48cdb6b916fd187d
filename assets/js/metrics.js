// Refreshes the metrics dashboard's panels every 10 seconds from the same address (so the chosen
// window, sample type or request stay), and adds a button that pauses it. The page works without
// it: the server's HTML says nothing about refreshing.
(function () {
  "use strict";
  var panels = document.getElementById("panels");
  var header = document.querySelector(".metrics-header");
  if (!panels || !header || !window.fetch || !window.DOMParser) return;
  var EVERY = 10000;
  var paused = false;

  var status = document.createElement("p");
  status.className = "refresh-status";
  var text = document.createElement("span");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button-secondary";
  button.textContent = "Pause updates";
  button.setAttribute("aria-pressed", "false");
  status.appendChild(text);
  status.appendChild(button);
  header.insertBefore(status, header.querySelector("a.button"));
  text.textContent = "Refreshes every 10 s";

  function clock() {
    var d = new Date();
    return [d.getHours(), d.getMinutes(), d.getSeconds()]
      .map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
  }

  // Swaps in the new panels, keeping the focused element, the tables' sideways scroll and the
  // opened "Full text" of long statements (each in a row with an id).
  function swap(next) {
    var focused = panels.contains(document.activeElement) ? document.activeElement.id : "";
    var scrolled = {};
    Array.prototype.forEach.call(panels.querySelectorAll(".table-scroll[id]"), function (el) {
      scrolled[el.id] = el.scrollLeft;
    });
    var opened = Array.prototype.map.call(panels.querySelectorAll("[id] > * > details[open]"),
      function (el) { return el.parentNode.parentNode.id; });
    panels.replaceWith(next);
    panels = next;
    Object.keys(scrolled).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.scrollLeft = scrolled[id];
    });
    opened.forEach(function (id) {
      var row = document.getElementById(id);
      var details = row && row.querySelector("details");
      if (details) details.open = true;
    });
    var again = focused && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
  }

  function refresh() {
    if (paused || document.hidden) return;
    fetch(window.location.pathname + window.location.search, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("panels");
        if (!next || paused) return;
        swap(next);
        text.textContent = "Refreshes every 10 s · updated " + clock();
      })
      .catch(function () {
        // Keep the last panels; try again next time.
        text.textContent = "Refresh failed at " + clock() + "; trying again";
      });
  }

  button.addEventListener("click", function () {
    paused = !paused;
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    text.textContent = paused ? "Updates paused" : "Refreshes every 10 s";
    if (!paused) refresh();
  });
  window.setInterval(refresh, EVERY);
})();

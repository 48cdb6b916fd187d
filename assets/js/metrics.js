// Refreshes the metrics dashboard's panels every 10 seconds. The page works without it.
(function () {
  "use strict";
  var panels = document.getElementById("panels");
  if (!panels || !window.fetch || !window.DOMParser) return;
  function refresh() {
    if (document.hidden) return;
    fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, "text/html").getElementById("panels");
        if (next) panels.replaceWith(next), (panels = next);
      })
      .catch(function () { /* keep the last panels; try again next time */ });
  }
  window.setInterval(refresh, 10000);
})();

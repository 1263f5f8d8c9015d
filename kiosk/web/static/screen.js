// A served screen that heals itself (kiosk/web/screens.py).
// The socket follows the address this page was opened with (never a configured host the
// browser cannot reach). When the socket closes (the server restarted, the network went,
// the app process ended) the page says "Reconnecting" in large type and asks the server
// for /healthz with backoff, 1 s doubling to 10 s, for as long as it takes; once the
// server answers, it reloads into a fresh app. Nobody ever has to touch the screen.
(function () {
  "use strict";
  var body = document.body;
  var terminal = document.getElementById("terminal");
  var url = new URL(body.dataset.socket, window.location.href);
  url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  terminal.dataset.sessionWebsocketUrl = url.href;

  var waiting = false;
  function reconnect() {
    if (waiting) return;
    waiting = true;
    document.getElementById("reconnecting").hidden = false;
    terminal.style.visibility = "hidden";  // never a frozen screen with stale calls
    var delay = 1000;
    function attempt() {
      fetch("/healthz", { cache: "no-store" }).then(function (response) {
        if (response.status === 200 || response.status === 503) {
          window.location.reload();
        } else {
          retry();
        }
      }, retry);
    }
    function retry() {
      setTimeout(attempt, delay);
      delay = Math.min(delay * 2, 10000);
    }
    setTimeout(attempt, delay);
  }

  new MutationObserver(function () {
    if (body.classList.contains("-closed")) reconnect();
  }).observe(body, { attributes: true, attributeFilter: ["class"] });
})();

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

  // Fit the screen: without ?fontsize=, the cell size comes from the viewport, so each
  // screen has the geometry it was designed for (columns x rows) on any display. The patron
  // kiosk has two: about 110 x 28 on a landscape display and 66 x 50 on a portrait one,
  // where 110 columns would make the type too small to read (kiosk/ui/patron/patron.tcss
  // lays out both; a 1080-pixel-wide portrait screen gets 28 px type either way round).
  // Roboto Mono's cell is 0.571 x 1.33 of the font size (measured in Chromium: 120 x 29
  // cells on 1920 x 1080 at 28 px). A resize or a rotation that changes the fit by 2 px or
  // more reloads into a fresh app at the new size. The rating tablet (four faces facing the
  // patron at a counter) is a small tablet: 60 x 20, or 36 x 30 standing up (the faces two by
  // two, kiosk/ui/rate/rate.tcss).
  var GEOMETRY = { patron: [110, 28], board: [120, 28], staff: [120, 30], admin: [140, 36],
                   rate: [60, 20] };
  var PORTRAIT = { patron: [66, 50], rate: [36, 30] };
  function fitted() {
    var portrait = window.innerHeight > window.innerWidth;
    var g = (portrait && PORTRAIT[body.dataset.screen]) || GEOMETRY[body.dataset.screen] ||
            [120, 36];
    return Math.max(10, Math.floor(Math.min(window.innerWidth / (g[0] * 0.571),
                                            window.innerHeight / (g[1] * 1.33))));
  }
  if (!body.dataset.fixedFont) {
    var size = fitted();
    terminal.dataset.fontSize = String(size);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (Math.abs(fitted() - size) >= 2) window.location.reload();
      }, 400);
    });
  }

  // The icons' font loads only when a character needs it, which a canvas never asks for:
  // load it now (before the terminal draws, at window.onload).
  if (document.fonts && document.fonts.load) {
    document.fonts.load('16px "Roboto Mono"', "\u{1F4DA}\u2714\u25A0");
  }

  // Keys from the first moment: the terminal takes the keyboard as soon as it exists and
  // again whenever the window comes back, with no click first (a patron who cannot use
  // the touchscreen must be able to start with the keypad). On the screens patrons touch
  // (the kiosk, the rating tablet) the on-screen keyboard never opens.
  var TOUCH_ONLY = { patron: true, rate: true };
  function takeKeys() {
    var input = document.querySelector(".xterm-helper-textarea");
    if (!input) return false;
    if (TOUCH_ONLY[body.dataset.screen]) input.setAttribute("inputmode", "none");
    if (document.activeElement !== input) input.focus();
    return true;
  }
  var tries = 0;
  var poll = setInterval(function () {
    if ((takeKeys() && body.classList.contains("-first-byte")) || ++tries > 200) {
      clearInterval(poll);
    }
  }, 50);
  window.addEventListener("focus", takeKeys);
  document.addEventListener("visibilitychange", takeKeys);

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

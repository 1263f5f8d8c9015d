// The web board, live (kiosk/web/board.py). The page works without this script (it
// refreshes itself every 10 s); with it, the board follows its event stream:
// - each `board` event replaces the board with the server's fragment; each `tick` (every
//   15 s) and each board event carry the site's wall time, so the clock shows the
//   server's time in the site's zone whatever the TV's own clock says;
// - it heals itself: an EventSource retries a dropped connection every second for ever
//   but gives up after an error status (a proxy's 502, a 429), and a stream can also die
//   without a word (no tick for 40 s); on any of these the page opens a new stream itself
//   after 1 s, doubling to 10 s, for as long as it takes, and after 2 s says
//   "Reconnecting". The first event of every stream is the whole board, so the page
//   catches up without a reload;
// - with ?sound=1, it plays each new call's announcement (/audio/EVENT.wav, written by
//   `kiosk announcer --output wav` just after the call: asked again for a few seconds),
//   one after another, never two at once. Browsers play sound only after a tap, unless
//   the TV's browser allows it (Chromium: --autoplay-policy=no-user-gesture-required).
(function () {
  "use strict";
  var body = document.body;
  var board = document.getElementById("board");
  var clock = document.getElementById("clock");
  var banner = document.getElementById("reconnecting");
  var skew = Number(body.dataset.clock) - Date.now();
  var STALE_MS = 40000;  // no event for this long (ticks come every 15 s): a dead stream
  var source = null;
  var delay = 1000;
  var retrying = null;
  var heardAt = Date.now();  // the last event, or the stream's opening
  var downSince = null;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function showTime() {
    var now = new Date(Date.now() + skew);  // the site's wall time, read as UTC
    clock.textContent = two(now.getUTCHours()) + ":" + two(now.getUTCMinutes());
  }

  function alive(data) {
    heardAt = Date.now();
    delay = 1000;
    downSince = null;
    banner.hidden = true;
    if (data && data.clock) skew = data.clock - Date.now();
    showTime();
  }

  // The calls as large as the screen allows: the stylesheet sizes them to the screen's
  // height; a wide label or counter number is shrunk until it fits its box's width.
  function fit() {
    var big = board.querySelectorAll(".big");
    for (var i = 0; i < big.length; i++) {
      var el = big[i];
      el.style.fontSize = "";
      var room = el.parentNode.clientWidth * 0.96;
      if (el.scrollWidth > room) {
        var size = parseFloat(window.getComputedStyle(el).fontSize);
        el.style.fontSize = Math.floor(size * room / el.scrollWidth) + "px";
      }
    }
  }
  window.addEventListener("resize", fit);

  function connect() {
    retrying = null;
    heardAt = Date.now();
    source = new EventSource(body.dataset.stream);
    source.addEventListener("board", function (event) {
      var data = JSON.parse(event.data);
      board.innerHTML = data.html;
      fit();
      alive(data);
      heard(board);
    });
    source.addEventListener("tick", function (event) { alive(JSON.parse(event.data)); });
    source.onerror = again;
  }

  // Any failure, whatever the browser would do next: a new stream after 1 s, doubling to
  // 10 s, until one answers (its first event is the whole board).
  function again() {
    if (retrying !== null) return;
    source.close();
    if (downSince === null) downSince = Date.now();
    retrying = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  }

  setInterval(function () {
    showTime();
    if (retrying === null && Date.now() - heardAt > STALE_MS) again();
    if (downSince !== null && Date.now() - downSince > 2000) banner.hidden = false;
  }, 1000);

  // -- sound ----------------------------------------------------------------------------
  var sound = body.dataset.sound === "1";
  var allowed = false;
  var heardUpTo = null;  // the newest call id seen; calls after it are announced
  var queue = [];
  var player = null;

  function callIds(root) {
    var ids = [];
    var marked = root.querySelectorAll("[data-event]");
    for (var i = 0; i < marked.length; i++) {
      var id = Number(marked[i].dataset.event);
      if (id > 0 && ids.indexOf(id) < 0) ids.push(id);
    }
    return ids.sort(function (a, b) { return a - b; });
  }

  function heard(root) {
    var ids = callIds(root);
    if (heardUpTo === null) {  // what was on the board at first is not announced again
      heardUpTo = ids.length ? ids[ids.length - 1] : 0;
      return;
    }
    for (var i = 0; i < ids.length; i++) {
      if (ids[i] > heardUpTo) {
        heardUpTo = ids[i];
        if (sound && allowed) queue.push(ids[i]);
      }
    }
    playNext();
  }

  function playNext() {
    if (player !== null || !queue.length) return;
    play(queue.shift(), 0);
  }

  function play(id, tries) {
    var audio = player = new Audio();
    var done = false;
    var guard = null;
    function finish(retry) {
      if (done) return;
      done = true;
      clearTimeout(guard);
      audio.removeAttribute("src");
      player = null;
      if (retry && tries < 15) {
        player = "waiting";  // nothing else plays while this call waits for its file
        setTimeout(function () { player = null; play(id, tries + 1); }, 1000);
      } else {
        playNext();
      }
    }
    audio.onended = function () { finish(false); };
    audio.onerror = function () { finish(true); };  // not written yet: ask again
    audio.onloadedmetadata = function () {  // never stuck: a player that never ends
      guard = setTimeout(function () { finish(false); },
                         ((audio.duration || 60) + 5) * 1000);
    };
    audio.src = "/audio/" + id + ".wav";
    var started = audio.play();
    if (started && started.catch) started.catch(function () { /* onerror decides */ });
  }

  function soundAllowed() {
    allowed = true;
    document.getElementById("sound").hidden = true;
    document.getElementById("sound-on").hidden = false;
  }

  if (sound) {
    var button = document.getElementById("sound");
    button.addEventListener("click", function () {
      new Audio("/static/kiosk/silence.wav").play().catch(function () {});
      soundAllowed();
    });
    var probe = new Audio("/static/kiosk/silence.wav").play();
    if (probe && probe.then) {
      probe.then(soundAllowed, function () { button.hidden = false; });
    } else {
      button.hidden = false;
    }
  }

  fit();
  heard(board);
  showTime();
  connect();
})();

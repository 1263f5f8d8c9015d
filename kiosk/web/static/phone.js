/* The phone page follows its ticket live: the server sends the page's fragment whenever it
   changes (the same template as the page), and this swaps it in. When the ticket is called:
   vibrate, a chime (once the patron has tapped "sound on": browsers allow sound only after
   a tap) and a flashing title. Written for old phone browsers: ES5, no framework. Without
   this script the page reloads itself every 15 s. */
(function () {
  "use strict";
  var main = document.getElementById("ticket");
  if (!main || !window.EventSource || !window.JSON) { return; }
  var body = document.body, updated = document.getElementById("updated");
  var lastAlert = main.getAttribute("data-alert") || "";
  var audio = null, flashing = null, delay = 2000, note = null;

  var box = document.querySelector(".sound"), button = document.getElementById("sound");
  if (box && button) {
    box.hidden = false;
    button.addEventListener("click", function () {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) { audio = new Context(); }
      if (audio && audio.resume) { audio.resume(); }
      if (navigator.vibrate) { navigator.vibrate(60); }
      var done = document.createElement("span");
      done.setAttribute("role", "status");
      done.id = "sound";
      done.className = "sound-on";
      done.textContent = button.getAttribute("data-on");
      box.replaceChild(done, button);
    });
  }

  function chime() {
    if (!audio) { return; }
    var notes = [880, 660, 880], i;
    for (i = 0; i < notes.length; i += 1) {
      var start = audio.currentTime + i * 0.35, tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = notes[i];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.6, start + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.32);
    }
  }

  function flash(title) {
    if (flashing) { clearInterval(flashing); }
    var on = false, count = 0;
    flashing = setInterval(function () {
      document.title = on ? title : "\u25B6 " + title + " \u25C0";
      on = !on;
      count += 1;
      if (count > 60) { clearInterval(flashing); flashing = null; document.title = title; }
    }, 1000);
  }

  function offline(yes) {
    if (yes && !note) {
      note = document.createElement("p");
      note.className = "offline";
      note.setAttribute("role", "status");
      note.textContent = main.getAttribute("data-offline");
      main.parentNode.insertBefore(note, main);
    } else if (!yes && note) {
      note.parentNode.removeChild(note);
      note = null;
    }
  }

  function show(data) {
    main.innerHTML = data.html;
    main.setAttribute("data-state", data.state);
    body.className = data.state === "called" ? "phone called" : "phone";
    if (updated) { updated.textContent = data.updated; }
    if (data.alert && data.alert !== lastAlert) {
      if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
      chime();
      flash(data.title);
    } else if (!data.alert) {
      if (flashing) { clearInterval(flashing); flashing = null; }
      document.title = data.title;
    }
    lastAlert = data.alert;
  }

  function connect() {
    var source = new EventSource(main.getAttribute("data-stream"));
    source.addEventListener("view", function (event) {
      offline(false);
      show(JSON.parse(event.data));
    });
    source.addEventListener("alive", function (event) {
      offline(false);
      if (updated) { updated.textContent = JSON.parse(event.data).updated; }
    });
    source.onopen = function () { delay = 2000; };
    source.onerror = function () {
      offline(true);
      if (source.readyState === 2) {  /* closed for good: try again, each time later */
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
  }
  connect();
}());

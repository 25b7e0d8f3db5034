// The hall board: calls pushed by Server-Sent Events, each announced by the server's voice
// (/hall/voice/<number>/<window>.wav: chime, then the call twice). Calls that overlap wait their
// turn in a queue. Browsers allow sound only after a gesture unless the display runs with
// autoplay allowed (kiosk Chromium: --autoplay-policy=no-user-gesture-required): when the first
// play is refused the 「开启语音播报」 button asks for one touch and the queue resumes.
(function () {
  var config = JSON.parse(document.getElementById("board-config").textContent);
  var audio = document.getElementById("voice");
  var button = document.getElementById("sound");
  var queue = [];
  var playing = false;
  var played = 0;

  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  function next() {
    if (playing || !queue.length) return;
    playing = true;
    audio.src = queue[0];
    var attempt = audio.play();
    if (attempt && attempt.catch) {
      attempt.catch(function () {
        playing = false;  // autoplay refused: keep the queue, ask for a touch
        button.classList.add("need");
        button.textContent = "点此开启语音播报";
      });
    }
  }
  audio.addEventListener("ended", function () {
    played += 1;
    document.body.dataset.voicePlayed = String(played);
    document.body.dataset.voiceDuration = String(Math.round(audio.duration * 100) / 100);
    document.body.dataset.voiceLast = queue.shift() || "";
    playing = false;
    next();
  });
  audio.addEventListener("error", function () { queue.shift(); playing = false; next(); });
  audio.addEventListener("playing", function () {
    button.classList.remove("need");
    button.textContent = "语音播报已开启";
    document.body.dataset.voiceOn = "1";
  });
  button.addEventListener("click", function () {
    button.classList.remove("need");
    button.textContent = "语音播报已开启";
    document.body.dataset.voiceOn = "1";
    next();
  });

  function announce(call) {
    if (!call.number || !call.window) return;
    queue.push(config.voice + encodeURIComponent(call.number) + "/" + encodeURIComponent(call.window) + ".wav");
    document.body.dataset.voiceQueued = String(queue.length + played);
    next();
  }

  function render(board) {
    document.getElementById("calls").innerHTML = board.calls.map(function (c) {
      return "<tr><td>" + esc(c.number) + "</td><td>" + esc(c.window) + " 号</td><td>" + esc(c.name) + "</td><td>" + esc(c.at) + "</td></tr>";
    }).join("");
    document.getElementById("counts").innerHTML = board.queues.map(function (q) {
      return "<tr><td>" + esc(q.prefix) + " · " + esc(q.name) + "</td><td>" + esc(q.waiting) + "</td></tr>";
    }).join("");
    var onward = document.getElementById("onward");  // visits of several queues: 下一站
    if (onward) {
      onward.innerHTML = (board.onward || []).map(function (o) {
        return "<tr><td>" + esc(o.number) + "</td><td>下一站：" + esc(o.queue_name) + "</td></tr>";
      }).join("");
      document.getElementById("onward-box").hidden = !(board.onward || []).length;
    }
    var closed = document.getElementById("closed");
    closed.hidden = !!board.open_now;
    document.getElementById("next-opening").textContent = board.next_opening ? "，下次开放：" + board.next_opening : "";
  }

  // the hall's presence QR (paired boards only) changes every minute
  var presence = document.getElementById("presence");
  function refreshPresence() {
    fetch(presence.dataset.presenceUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.getElementById("presence-qr").innerHTML = data.svg;  // SVG made by our server
        presence.dataset.code = data.code;
        setTimeout(refreshPresence, (data.seconds_left + 1) * 1000);
      })
      .catch(function () { setTimeout(refreshPresence, 10000); });
  }
  if (presence) refreshPresence();

  var source = new EventSource(config.events);
  source.addEventListener("board", function (e) {
    var data = JSON.parse(e.data);
    if (data.board) render(data.board);
    (data.calls || []).forEach(function (c) {
      document.getElementById("latest").textContent = c.text;
      window.lastShownAt = Date.now();
      announce(c);
    });
    document.body.dataset.lastEvent = e.lastEventId;
  });
})();

// A paired kiosk: the ID-card reader's reads arrive through the server (hall/idcard.py) and fill
// the form — the read's id goes with the ticket, a person of the priority age is put on the
// green channel without typing; the hall's presence QR changes every minute.
(function () {
  var status = document.getElementById("card-status");
  var field = document.getElementById("card-read");
  function pollCard() {
    fetch(status.dataset.cardUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        var card = data && data.card;
        if (card && String(card.read_id) !== field.value) {
          field.value = String(card.read_id);
          status.classList.add("read");
          status.textContent = "已读取身份证：" + card.name + (card.age != null ? "，" + card.age + " 岁" : "") +
            (card.priority ? "。您可走绿色通道（老年人优先），请选择要办的事。" : "。请选择要办的事。");
          if (card.priority) {
            var elder = document.querySelector('input[name="priority"][value="老年人"]');
            if (elder) elder.checked = true;
          }
          document.body.dataset.cardRead = String(card.read_id);
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(pollCard, 1000); });
  }
  if (status && field) pollCard();

  var presence = document.getElementById("presence");
  function refreshPresence() {
    fetch(presence.dataset.presenceUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return setTimeout(refreshPresence, 10000);
        document.getElementById("presence-qr").innerHTML = data.svg;  // SVG made by our server
        presence.dataset.code = data.code;
        setTimeout(refreshPresence, (data.seconds_left + 1) * 1000);
      })
      .catch(function () { setTimeout(refreshPresence, 10000); });
  }
  if (presence) setTimeout(refreshPresence, 1000);
})();

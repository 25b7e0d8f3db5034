// Staff pages (guide desk, window intake): a card read by this place's reader fills the name and
// ID number fields named by data-fill-name / data-fill-id (hall/idcard.py; polled every second).
// The box is looked up on every round: the desk's form arrives later, swapped in by htmx.
(function () {
  function poll() {
    var box = document.querySelector("[data-idcard-url]");
    if (!box) { setTimeout(poll, 1500); return; }
    fetch(box.dataset.idcardUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        var card = data && data.card;
        if (!card) return;
        var name = document.querySelector(box.dataset.fillName);
        var id = document.querySelector(box.dataset.fillId);
        if (name) name.value = card.name;
        if (id) id.value = card.id_number;
        box.textContent = "已读取身份证：" + card.name + "，已填入申请人。";
        box.classList.add("ok");
        document.body.dataset.cardRead = String(card.read_id);
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();

// The slip page at the kiosk (or the desk): print with the browser when no thermal printer took
// the slip, then (kiosk) go back to the start screen after a few seconds, so the next person
// never sees, or cancels, this ticket.
(function () {
  var slip = document.getElementById("slip-page");
  if (!slip) return;
  if (slip.dataset.autoprint === "1") {
    window.print();
    document.body.dataset.printedBy = "browser";
  }
  var back = slip.dataset.returnTo;
  var left = parseInt(slip.dataset.returnAfter || "0", 10);
  var counter = document.getElementById("return-seconds");
  if (!back || !left) return;
  var timer = setInterval(function () {
    left -= 1;
    if (counter) counter.textContent = String(Math.max(left, 0));
    if (left <= 0) { clearInterval(timer); window.location.replace(back); }
  }, 1000);
})();

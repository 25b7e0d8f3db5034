// Small behaviours that used to be inline handlers (the Content-Security-Policy forbids those):
//   data-print        a button that prints the page
//   data-autosubmit   a <select> that submits its form when changed
//   data-back         a link that goes back one page
//   data-confirm      a form that asks for confirmation before it is sent
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-print], [data-back]");
  if (!el) return;
  event.preventDefault();
  if (el.hasAttribute("data-print")) window.print();
  else history.back();
});
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.hasAttribute && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

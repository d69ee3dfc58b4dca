// Copy buttons: a button with data-copy="ID" copies the text of the element
// with that id (a read-only text area) to the clipboard, and says so in the
// element with data-copy-status="ID". Buttons start hidden, so that a page
// read without JavaScript offers no button that cannot work; the text stays
// selectable either way. Loaded as a file: the content security policy
// allows no inline script.
(function () {
  "use strict";

  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  // fallback copies through a selection, for browsers (or insecure
  // origins) without the asynchronous clipboard.
  function fallback(source, id) {
    source.focus();
    source.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    say(id, ok ? "Copied." : "Press Ctrl+C (or ⌘C) to copy the selected text.");
  }

  function copy(button) {
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    if (!source) {
      return;
    }
    var text = "value" in source ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(id, "Copied."); },
        function () { fallback(source, id); }
      );
      return;
    }
    fallback(source, id);
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
    }
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[data-copy]") : null;
    if (button) {
      ev.preventDefault();
      copy(button);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

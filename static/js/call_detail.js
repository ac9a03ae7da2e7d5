// The call page: a Copy button for the log, shown only when a script can copy.
// The log's line numbers are CSS counters, so the text copied is the log itself.
"use strict";

(function () {
  const button = document.getElementById("copy-log");
  const log = document.getElementById("log");
  const done = document.getElementById("copy-done");
  if (!button || !log) {
    return;
  }

  // The clipboard API needs a secure context (HTTPS or localhost); elsewhere the log is
  // selected, ready for Ctrl+C.
  function select() {
    const range = document.createRange();
    range.selectNodeContents(log);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    done.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }

  button.addEventListener("click", () => {
    if (!navigator.clipboard) {
      select();
      return;
    }
    navigator.clipboard.writeText(log.textContent).then(
      () => {
        done.textContent = "Copied.";
      },
      select,
    );
  });
  button.hidden = false;
})();

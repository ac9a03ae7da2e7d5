// The calls list, followed live (Follow live, through live.js): every few seconds it asks
// GET /v1/apps/{app}/live for the calls after the newest one shown and for the unfinished
// calls shown. New calls are put at the top, marked for a moment; a queued or running call
// that finished gets its new row. The figures are printed as calls/templatetags/dashboard.py
// prints them (the browser tests compare the two).
"use strict";

(function () {
  const holder = document.getElementById("live");
  const table = document.querySelector("table.calls");
  if (!holder || !table || typeof window.fnwebFollow !== "function") {
    return;
  }
  if (holder.dataset.off) {
    holder.querySelector("button").disabled = true;
    holder.querySelector(".live-state").textContent = holder.dataset.off;
    holder.hidden = false;
    return;
  }
  const rows = table.tBodies[0];
  const news = document.getElementById("live-news");
  const more = document.getElementById("live-more");
  const UNFINISHED = ["delayed", "queued", "running"];
  const WATCH_MAX = 50;
  const ZERO_TIME = "0001-01-01T00:00:00.000Z";
  const DASH = "–";
  const NBSP = "\u00a0";
  // One decimal and thousands separators, as the `figure` and `mib` filters print.
  const oneDecimal = new Intl.NumberFormat("en-US", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  let after = holder.dataset.after;

  function duration(seconds) {
    let text;
    if (seconds < 1) {
      text = `${Math.round(seconds * 1000)} ms`;
    } else if (seconds < 60) {
      text = `${seconds.toFixed(1)} s`;
    } else {
      const whole = Math.round(seconds);
      const minutes = Math.floor(whole / 60);
      const pad = (n) => String(n).padStart(2, "0");
      text =
        minutes < 60
          ? `${minutes} min ${pad(whole % 60)} s`
          : `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
    }
    return text.replaceAll(" ", NBSP);
  }

  function between(from, to) {
    return from === ZERO_TIME || to === ZERO_TIME ? DASH : duration((Date.parse(to) - Date.parse(from)) / 1000);
  }

  // The error's first line, at most 80 characters, as the `headline` filter cuts it.
  function headline(text) {
    const [first, ...rest] = text.trim().split("\n");
    const line = first.trimEnd();
    if (line.length > 80) {
      return `${line.slice(0, 79)}…`;
    }
    return rest.length ? `${line} …` : line;
  }

  function cell(row, selector) {
    return row.querySelector(selector);
  }

  // A row for `call`, made from a row the server printed, so it has the same cells.
  function rowFor(call) {
    const row = rows.rows[0].cloneNode(true);
    row.classList.remove("live-new");
    const box = cell(row, 'input[name="ids"]');
    const old = box.value;
    box.value = call.id;
    box.checked = false;
    box.setAttribute("aria-label", `Compare call ${call.id}`);
    const link = cell(row, "td.mono a");
    link.textContent = call.id;
    link.setAttribute("href", link.getAttribute("href").replace(`/${old}/`, `/${call.id}/`));
    cell(row, '[data-label="Path"]').textContent = call.path;
    const badge = cell(row, ".badge");
    badge.className = `badge badge-${call.status}`;
    badge.textContent = call.status;
    const error = cell(row, ".error-start");
    error.textContent = call.error ? headline(call.error) : "";
    if (call.error) {
      error.dataset.label = "Error";
    } else {
      error.removeAttribute("data-label");
    }
    const created = cell(row, ".created");
    const time = document.createElement("time");
    time.dateTime = call.created_at;
    time.textContent = call.created_at.slice(0, 19).replace("T", " ");
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = "(new)";
    created.replaceChildren(time, " ", note);
    cell(row, '[data-label="Queued"]').textContent = between(call.created_at, call.started_at);
    cell(row, '[data-label="Duration"]').textContent = between(call.started_at, call.completed_at);
    const memory = call.peak_mem_usage;
    cell(row, '[data-label="Peak memory"]').textContent =
      memory === null ? DASH : `${oneDecimal.format(memory / 1048576)} MiB`;
    const cpu = call.peak_cpu_total;
    cell(row, '[data-label="Peak CPU"]').textContent = cpu === null ? DASH : `${oneDecimal.format(cpu)} %`;
    return row;
  }

  function shown(id) {
    const box = rows.querySelector(`input[name="ids"][value="${CSS.escape(id)}"]`);
    return box && box.closest("tr");
  }

  function watched() {
    return Array.from(rows.rows)
      .filter((row) => UNFINISHED.includes(cell(row, ".badge").textContent.trim()))
      .slice(0, WATCH_MAX)
      .map((row) => cell(row, 'input[name="ids"]').value);
  }

  function mark(row) {
    row.classList.add("live-new");
    setTimeout(() => row.classList.remove("live-new"), 4000);
  }

  async function tick() {
    const query = new URLSearchParams({ after, watch: watched().join(",") });
    for (const key of ["path", "status"]) {
      if (holder.dataset[key]) {
        query.set(key, holder.dataset[key]);
      }
    }
    const answer = await window.fnwebFetchJSON(`${holder.dataset.url}?${query}`);
    let finished = 0;
    for (const call of answer.watched) {
      const row = shown(call.id);
      if (row && !UNFINISHED.includes(call.status)) {
        const fresh = rowFor(call);
        cell(fresh, 'input[name="ids"]').checked = cell(row, 'input[name="ids"]').checked;
        row.replaceWith(fresh);
        mark(fresh);
        finished += 1;
      }
    }
    const added = answer.calls.filter((call) => !shown(call.id));
    added.reverse().forEach((call) => {
      const row = rowFor(call);
      rows.prepend(row);
      mark(row);
    });
    after = answer.next_after;
    more.hidden = more.hidden && !answer.more;
    const parts = [];
    if (added.length) {
      parts.push(`${added.length} new ${added.length === 1 ? "call" : "calls"}`);
    }
    if (finished) {
      parts.push(`${finished} finished`);
    }
    if (parts.length) {
      news.textContent = `${parts.join(", ")}.`;
    }
  }

  window.fnwebFollow(holder, Number(holder.dataset.interval), tick);
})();

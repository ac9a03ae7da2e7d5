// Following a page live: a Follow button, off until pressed, that runs the page's `tick` (a
// function returning a promise) every `interval` ms while pressed. It pauses while the tab is
// hidden, polls at once when the tab is shown again, and waits twice as long after each
// failed poll (up to a minute). The poll itself is the page's: calls_live.js, trends.js.
"use strict";

window.fnwebFollow = function (holder, interval, tick) {
  const button = holder.querySelector("button");
  const state = holder.querySelector(".live-state");
  const MAX_WAIT = 60000;
  let on = false;
  let busy = false;
  let wait = interval;
  let timer = null;

  function say(text) {
    state.textContent = text;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = on && !document.hidden ? setTimeout(run, delay) : null;
  }

  async function run() {
    if (busy) {
      return; // the poll under way schedules the next
    }
    busy = true;
    let problem = null;
    try {
      await tick();
      wait = interval;
    } catch (error) {
      problem = error;
      wait = Math.min(wait * 2, MAX_WAIT);
    }
    busy = false;
    if (!on) {
      return; // paused while the poll was under way
    }
    if (problem) {
      say(`Could not check (${problem.message}); trying again in ${Math.round(wait / 1000)} s.`);
    } else {
      say(`Following; checked at ${new Date().toLocaleTimeString()}.`);
    }
    schedule(wait);
  }

  function follow(value) {
    on = value;
    button.setAttribute("aria-pressed", String(on));
    if (on) {
      wait = interval;
      run();
    } else {
      schedule();
      say("Paused.");
    }
  }

  button.addEventListener("click", () => follow(!on));
  document.addEventListener("visibilitychange", () => {
    if (on) {
      if (document.hidden) {
        say("Paused while the tab is hidden.");
      }
      schedule(0);
    }
  });
  holder.hidden = false;
};

// A JSON answer of the API, or an Error saying why not (its Fn error message if it has one).
window.fnwebFetchJSON = async function (url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((body && body.error && body.error.message) || `HTTP ${response.status}`);
  }
  return body;
};

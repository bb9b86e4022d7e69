/*
 * Rounds media jobs page (templates/admin/jobs.html): live progress without reloading.
 *
 * Every 2 s (while the tab is visible) it asks GET /api/jobs with the page's state filter
 * and updates each row it shows: state, worker, progress bar and percent, stage, attempts,
 * error text, and which of Cancel / Retry applies. Jobs that appeared since the page loaded
 * are announced with a link to reload. No inline script or style: the CSP forbids them.
 */
(function () {
  "use strict";

  const table = document.getElementById("jobs");
  if (!table || !window.fetch) {
    return;
  }
  const status = document.getElementById("jobs-status");
  const INTERVAL_MS = 2000;
  const UNFINISHED = ["queued", "running", "retrying"];
  const RETRYABLE = ["failed", "cancelled"];
  let timer = null;
  let stopped = false;

  function url() {
    const params = new URLSearchParams();
    if (table.dataset.state) {
      params.set("state", table.dataset.state);
    }
    params.set("limit", table.dataset.limit || "100");
    return table.dataset.api + "?" + params.toString();
  }

  function setText(row, selector, text) {
    const el = row.querySelector(selector);
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }

  function update(row, job) {
    row.dataset.state = job.state;
    const badge = row.querySelector(".job-state");
    if (badge) {
      badge.textContent = job.state;
      badge.className = "badge badge-job badge-" + job.state + " job-state";
    }
    const worker = row.querySelector(".job-worker");
    if (worker) {
      worker.textContent = "";
      if (job.worker) {
        worker.appendChild(document.createElement("br"));
        worker.appendChild(document.createTextNode(job.worker));
      }
    }
    const percent = Math.round(job.progress);
    const bar = row.querySelector("progress.job-progress");
    if (bar) {
      bar.value = job.progress;
      bar.textContent = percent + " %";
    }
    setText(row, ".job-percent", percent + " %");
    setText(row, ".job-stage", job.stage);
    setText(row, ".job-attempts", job.attempts + " / " + job.max_attempts);
    const error = row.querySelector(".job-error");
    if (error) {
      if (error.textContent !== job.error) {
        error.textContent = job.error;
      }
      error.hidden = !job.error;
    }
    const cancel = row.querySelector(".job-cancel");
    if (cancel) {
      cancel.hidden = UNFINISHED.indexOf(job.state) < 0;
    }
    const retry = row.querySelector(".job-retry");
    if (retry) {
      retry.hidden = RETRYABLE.indexOf(job.state) < 0;
    }
  }

  function announceNew(count) {
    if (!status) {
      return;
    }
    status.textContent = "";
    if (count > 0) {
      status.appendChild(document.createTextNode(
        count === 1 ? "1 new job. " : count + " new jobs. "));
      const link = document.createElement("a");
      link.href = window.location.pathname + window.location.search;
      link.textContent = "Show them";
      status.appendChild(link);
    }
  }

  async function poll() {
    timer = null;
    if (stopped) {
      return;
    }
    if (!document.hidden) {
      try {
        const response = await fetch(url(), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.status === 401 || response.status === 403) {
          stopped = true;
          if (status) {
            status.textContent = "Live updates stopped: sign in again to see progress.";
          }
          return;
        }
        if (response.ok) {
          const body = await response.json();
          let fresh = 0;
          for (const job of body.jobs) {
            const row = table.querySelector('tr[data-job-id="' + job.id + '"]');
            if (row) {
              update(row, job);
            } else {
              fresh += 1;
            }
          }
          announceNew(fresh);
        }
      } catch (err) {
        // The server restarting, the network gone: try again at the next tick.
      }
    }
    timer = window.setTimeout(poll, INTERVAL_MS);
  }

  timer = window.setTimeout(poll, INTERVAL_MS);

  // For tests: the rows as the page shows them now.
  window.roundsJobs = {
    rows: function () {
      return Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (row) {
        const bar = row.querySelector("progress.job-progress");
        return { id: Number(row.dataset.jobId), state: row.dataset.state,
                 progress: bar ? bar.value : null };
      });
    },
  };
})();

/*
 * Rounds replay page: plays a recording and tells the server what was really watched.
 *
 * Plain JavaScript, no build step; loaded with `defer` by templates/recordings/replay.html,
 * after static/vendor/hls/hls.min.js (installed by `rounds assets`). The #replay element
 * carries what it needs: the master playlist and MP4 addresses, the heartbeat URL, the CSRF
 * token, the duration and where to resume.
 *
 * Playback: hls.js over Media Source Extensions where the browser has them (adaptive, with a
 * quality menu: Auto plus each rung of the ladder); else the browser's own HLS (Safari on
 * iOS); else the MP4. Chapters (buttons) seek; the player starts where the learner left off.
 *
 * Heartbeats: a range grows only while the video plays, from one `timeupdate` to the next; a
 * seek (or a jump we did not see as one) closes it and a new one starts where playback goes
 * on. Every 10 s while playing, and on pause, seek, end and when the page is hidden or left,
 * the closed ranges and the playhead go to POST {watch-url} as {ranges: [[start, end], ...],
 * position}. The server merges them (app/api/recordings.py, courses/watching.py) and answers
 * with the percent watched, which the page shows. Ranges the server did not get (offline,
 * a 5xx) are sent again with the next heartbeat; ranges it refused are not.
 *
 * Test hooks (read-only, small on purpose):
 *   window.roundsReplay.mode()        "hls.js" | "native" | "mp4" | "none"
 *   window.roundsReplay.levels()      [{index, height, bitrate, label}] of the ladder
 *   window.roundsReplay.level()       hls.js's current level index (-1 before one is chosen)
 *   window.roundsReplay.progress()    the server's last answer to a heartbeat, or null
 *   window.roundsReplay.heartbeats()  how many heartbeats the server accepted
 *   window.roundsReplay.pending()     ranges not yet accepted by the server
 *   window.roundsReplay.flush()       a Promise: close the current range and send now
 */
(function () {
  "use strict";

  const root = document.getElementById("replay");
  const video = document.getElementById("replay-video");
  if (!root || !video) return;

  // -- configuration -----------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("replay-status"), qualityField: $("quality-field"), quality: $("quality-select"),
    bar: $("watched-bar"), percent: $("watched-percent"), chapters: $("chapter-list"),
  };
  const data = root.dataset;
  const cfg = {
    master: data.masterUrl || "", mp4: data.mp4Url || "", watchUrl: data.watchUrl,
    csrf: data.csrf, duration: parseFloat(data.duration) || 0,
    resume: parseFloat(data.resume) || 0,
  };
  const HEARTBEAT_MS = 10000;
  const JUMP_SLACK_S = 0.75;     // beyond the wall time since the last timeupdate: a jump
  const MAX_PENDING = 200;       // the server takes at most 200 ranges a heartbeat
  const MAX_NETWORK_RETRIES = 3;

  // -- state -------------------------------------------------------------------------------
  const S = {
    mode: "none", hls: null, levels: [],
    current: null,                 // {start, end, wall}: the range growing while we play
    pending: [],                   // closed ranges not yet accepted by the server
    inFlight: null, again: false, stopped: false,
    sentPosition: null, accepted: 0, progress: null,
    timer: null, networkRetries: 0, mediaRecoveries: 0,
  };

  function setStatus(text, isError) {
    if (!el.status) return;
    el.status.textContent = text;
    el.status.classList.toggle("is-error", !!isError);
  }

  function round(t) {
    return Math.round(t * 1000) / 1000;
  }

  function formatTime(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600), m = Math.floor(whole % 3600 / 60), s = whole % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  // -- played ranges -----------------------------------------------------------------------
  function open(t) {
    S.current = { start: t, end: t, wall: performance.now() };
  }

  function close() {
    const range = S.current;
    S.current = null;
    if (range && range.end - range.start >= 0.01) {
      S.pending.push([round(range.start), round(range.end)]);
      if (S.pending.length > MAX_PENDING) S.pending.splice(0, S.pending.length - MAX_PENDING);
    }
  }

  function extend(t) {
    const range = S.current;
    if (!range) return;
    const now = performance.now();
    const allowed = (now - range.wall) / 1000 * (video.playbackRate || 1) + JUMP_SLACK_S;
    if (t >= range.end && t - range.end <= allowed) {
      range.end = t;
      range.wall = now;
    } else if (t !== range.end) {
      // Backwards, or further than playing could have taken us: a seek we were not told of.
      close();
      open(t);
    }
  }

  /** Close the current range; while playing, the next one starts exactly where it ended, so
   * the server merges the two into one. */
  function cut() {
    if (!S.current) return;
    const end = S.current.end;
    close();
    if (!video.paused && !video.ended) open(end);
  }

  // -- heartbeats --------------------------------------------------------------------------
  function showProgress(answer) {
    S.progress = answer;
    const percent = Math.max(0, Math.min(100, Number(answer.percent) || 0));
    if (el.bar) { el.bar.value = percent; el.bar.textContent = `${percent} %`; }
    if (el.percent) el.percent.textContent = `${Math.round(percent)} %`;
  }

  function send(keepalive) {
    if (S.stopped) return Promise.resolve();
    if (S.inFlight && !keepalive) {
      S.again = true;
      return S.inFlight;
    }
    const ranges = S.pending.slice();
    const position = round(video.currentTime || 0);
    if (!ranges.length && position === S.sentPosition) return Promise.resolve();
    const request = fetch(cfg.watchUrl, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRF-Token": cfg.csrf },
      body: JSON.stringify({ ranges: ranges, position: position }),
    }).then(async (response) => {
      if (response.ok) {
        S.pending.splice(0, ranges.length);
        S.sentPosition = position;
        S.accepted += 1;
        showProgress(await response.json());
      } else if (response.status === 400 || response.status === 422) {
        S.pending.splice(0, ranges.length);   // refused: sending them again would not help
      } else if (response.status < 500) {
        S.stopped = true;
        setStatus(response.status === 401
          ? "You were signed out, so what you watch is no longer recorded. Sign in again " +
            "and reload this page."
          : "What you watch is no longer being recorded: reload this page.", true);
      }
      // 5xx: keep the ranges for the next heartbeat
    }).catch(() => {
      // offline or the page is going away: the ranges wait for the next heartbeat
    }).finally(() => {
      if (S.inFlight === request) S.inFlight = null;
      if (S.again) {
        S.again = false;
        send(false);
      }
    });
    if (!keepalive) S.inFlight = request;
    return request;
  }

  function startTimer() {
    if (S.timer) return;
    S.timer = setInterval(() => { cut(); send(false); }, HEARTBEAT_MS);
  }

  function stopTimer() {
    clearInterval(S.timer);
    S.timer = null;
  }

  // -- chapters ----------------------------------------------------------------------------
  const chapterButtons = el.chapters ? Array.from(el.chapters.querySelectorAll("button.chapter")) : [];

  function markChapter(t) {
    let current = null;
    for (const button of chapterButtons) {
      if (parseFloat(button.dataset.start) <= t + 0.05) current = button;
    }
    for (const button of chapterButtons) {
      if (button === current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  for (const button of chapterButtons) {
    button.addEventListener("click", () => {
      video.currentTime = parseFloat(button.dataset.start) || 0;
      if (video.paused) {
        video.play().catch(() => setStatus("Press play to start the video."));
      }
    });
  }

  // -- quality menu ------------------------------------------------------------------------
  function levelLabel(level) {
    const kbps = Math.round((level.bitrate || 0) / 1000);
    const height = level.height ? `${level.height}p` : `${kbps} kb/s`;
    return level.height && kbps ? `${height} (${kbps >= 1000 ? (kbps / 1000).toFixed(1) +
      " Mb/s" : kbps + " kb/s"})` : height;
  }

  function buildQualityMenu() {
    const hls = S.hls;
    S.levels = hls.levels.map((level, index) => ({
      index: index, height: level.height || null, bitrate: level.bitrate || 0,
      label: levelLabel(level),
    }));
    el.quality.replaceChildren();
    const auto = document.createElement("option");
    auto.value = "-1";
    auto.textContent = "Auto";
    el.quality.append(auto);
    for (const level of S.levels.slice().sort((a, b) => (b.height || 0) - (a.height || 0) ||
      b.bitrate - a.bitrate)) {
      const option = document.createElement("option");
      option.value = String(level.index);
      option.textContent = level.label;
      el.quality.append(option);
    }
    el.quality.value = "-1";
    el.qualityField.hidden = S.levels.length < 2;
  }

  function labelAuto(levelIndex) {
    const auto = el.quality.querySelector('option[value="-1"]');
    const level = S.levels[levelIndex];
    if (auto) {
      auto.textContent = S.hls && S.hls.autoLevelEnabled && level && level.height
        ? `Auto (${level.height}p)` : "Auto";
    }
  }

  el.quality.addEventListener("change", () => {
    if (!S.hls) return;
    // currentLevel switches now (dropping what is buffered); -1 hands the choice back to ABR.
    S.hls.currentLevel = parseInt(el.quality.value, 10);
  });

  // -- players -----------------------------------------------------------------------------
  function playMp4(reason) {
    if (!cfg.mp4) {
      S.mode = "none";
      setStatus(reason || "This browser cannot play this recording. Use a current Chrome, " +
        "Edge, Firefox or Safari.", true);
      return;
    }
    S.mode = "mp4";
    video.src = cfg.mp4;
    if (reason) setStatus(reason);
  }

  function resumeOnce() {
    if (cfg.resume > 0) {
      video.addEventListener("loadedmetadata", () => {
        if (video.currentTime < 0.5) video.currentTime = cfg.resume;
      }, { once: true });
    }
  }

  function startHls() {
    const Hls = window.Hls;
    const hls = new Hls({
      // The Content-Security-Policy allows no blob: workers; hls.js transmuxes in page.
      enableWorker: false,
      startPosition: cfg.resume > 0 ? cfg.resume : -1,
    });
    S.hls = hls;
    S.mode = "hls.js";
    hls.on(Hls.Events.MANIFEST_PARSED, buildQualityMenu);
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, info) => labelAuto(info.level));
    hls.on(Hls.Events.ERROR, (_event, info) => {
      if (!info.fatal) return;
      if (info.type === Hls.ErrorTypes.NETWORK_ERROR && S.networkRetries < MAX_NETWORK_RETRIES) {
        S.networkRetries += 1;
        setStatus("The connection stumbled; trying again…");
        hls.startLoad();
      } else if (info.type === Hls.ErrorTypes.MEDIA_ERROR && S.mediaRecoveries < 2) {
        S.mediaRecoveries += 1;
        hls.recoverMediaError();
      } else {
        hls.destroy();
        S.hls = null;
        el.qualityField.hidden = true;
        playMp4(`Adaptive streaming failed (${info.details}); playing the MP4 file instead.`);
      }
    });
    hls.loadSource(cfg.master);
    hls.attachMedia(video);
  }

  if (cfg.master && window.Hls && window.Hls.isSupported()) {
    startHls();
  } else if (cfg.master && video.canPlayType("application/vnd.apple.mpegurl")) {
    S.mode = "native";
    resumeOnce();
    video.src = cfg.master;
  } else {
    resumeOnce();
    playMp4("");
  }

  // -- what the video element tells us -----------------------------------------------------
  video.addEventListener("playing", () => {
    if (!S.current) open(video.currentTime);
    startTimer();
  });
  video.addEventListener("timeupdate", () => {
    markChapter(video.currentTime);
    if (!video.paused && !video.seeking) extend(video.currentTime);
  });
  video.addEventListener("seeking", () => {
    close();
    send(false);
  });
  video.addEventListener("seeked", () => {
    if (!video.paused && !S.current) open(video.currentTime);
  });
  video.addEventListener("pause", () => {
    if (S.current && !video.seeking) extend(video.currentTime);
    close();
    stopTimer();
    send(false);
  });
  video.addEventListener("ended", () => {
    close();
    stopTimer();
    send(false);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") { cut(); send(true); }
  });
  window.addEventListener("pagehide", () => { cut(); send(true); });

  window.roundsReplay = {
    mode: () => S.mode,
    levels: () => S.levels.map((level) => Object.assign({}, level)),
    level: () => (S.hls ? S.hls.currentLevel : -1),
    progress: () => (S.progress ? Object.assign({}, S.progress) : null),
    heartbeats: () => S.accepted,
    pending: () => S.pending.map((range) => range.slice()),
    flush: () => { cut(); return send(false); },
  };
  if (cfg.resume > 0) setStatus(`You left off at ${formatTime(cfg.resume)}; the video starts there.`);
})();

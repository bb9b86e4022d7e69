/*
 * Rounds live room: the browser side of signaling protocol v1 (app/signaling/__init__.py).
 *
 * Plain JavaScript, no libraries, no build step; loaded with `defer` by
 * templates/live/room.html, whose #room element carries the data it needs (room id, join
 * token, token refresh URL, WebSocket path, CSRF token, display name, host flags).
 *
 * Flow: camera and microphone preview -> Join opens the WebSocket and sends `join` ->
 * `waiting` (until the room opens) -> `welcome` -> one RTCPeerConnection to the SFU. The
 * client makes the first offer (mic + camera as send-only transceivers, labelled with the
 * `tracks` map); afterwards the server offers whenever what we receive changes, and we are
 * the POLITE peer: a server offer that crosses ours wins (we roll back, answer, re-offer).
 *
 * Remote media: each received track belongs to a stream; `streams` says whose stream it is,
 * `screens` which streams are screen shares. One tile per remote participant (video muted,
 * sound through a separate <audio> element), and a presenter layout while anyone shares.
 *
 * Test hooks (small on purpose; read-only):
 *   window.roundsRoom.state()          "prejoin" | "connecting" | "waiting" | "joined" |
 *                                      "reconnecting" | "left" | "closed" | "failed"
 *   window.roundsRoom.participantId()  our participant id once welcomed, else null
 *   window.roundsRoom.pc()             the current RTCPeerConnection (for getStats()), or null
 *   window.roundsRoom.participants()   [{participant_id, display_name, is_host, muted:{audio,
 *                                      video}, speaking}] including ourselves
 *   window.roundsRoom.tiles()          [{participant_id, screen, video_track, audio_tracks,
 *                                      audio_playing}] for the remote tiles on screen; the
 *                                      track ids match getStats()' trackIdentifier
 *   window.roundsRoom.timings()        {joined, welcomed, connected}: performance.now() marks
 *   window.roundsRoom.recording()      {active, started_at?}: whether the room is recording
 *   window.roundsRoom.chat()           [{id, from: {participant_id, name, role}, text, to, at}]
 *                                      the chat messages received, oldest first
 *   window.roundsRoom.hands()          [{participant_id, name, raised_at}]: the hand queue
 *
 * Plugins: other scripts (room_interaction.js) push objects onto window.roundsRoomPlugins,
 * before or after this one loads. Each may have onMessage(m, api) (called with every server
 * message, after the room has handled it; welcome included) and onTeardown() (the socket
 * went away: reconnecting, left or closed). api = {send(message) -> bool, me() -> our
 * participant id, isHost() -> whether we are a host now, nameOf(participant id),
 * participants() (as the roundsRoom hook), setStatus(text, isError)}.
 *
 * Chat text and names are always put on the page with textContent, never as HTML.
 * Before this script runs, a page (or a test) may set window.roundsRoomConfig =
 * {video: {width, height, frameRate}} to ask the camera for other constraints.
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  if (!root || !window.RTCPeerConnection) {
    const status = document.getElementById("room-status");
    if (status && !window.RTCPeerConnection) {
      status.textContent = "This browser cannot join live sessions. Use a current Chrome, " +
        "Edge, Firefox or Safari.";
    }
    return;
  }

  // -- configuration -----------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("room-status"), prejoin: $("prejoin"), preview: $("preview"),
    cameraSelect: $("camera-select"), micSelect: $("mic-select"), joinMuted: $("join-muted"),
    joinButton: $("join-button"), stage: $("stage"), presenter: $("presenter"), grid: $("grid"),
    controls: $("controls"), micButton: $("mic-button"), cameraButton: $("camera-button"),
    screenButton: $("screen-button"), leaveButton: $("leave-button"), endButton: $("end-button"),
    end: $("room-end"), endHeading: $("room-end-h"), endMessage: $("room-end-message"),
    rejoinButton: $("rejoin-button"), soundButton: $("sound-button"),
    recordButton: $("record-button"), recordingBadge: $("recording-badge"),
    handButton: $("hand-button"), side: $("room-side"), handsList: $("hands-list"),
    handsEmpty: $("hands-empty"), chatList: $("chat-list"), chatStatus: $("chat-status"),
    chatForm: $("chat-form"), chatInput: $("chat-input"), chatTo: $("chat-to"),
    chatSend: $("chat-send"),
  };
  const data = root.dataset;
  const cfg = {
    roomId: data.roomId, tokenUrl: data.tokenUrl, wsPath: data.wsPath, csrf: data.csrf,
    displayName: data.displayName || "You", noun: data.noun || "session",
    canShareScreen: data.canShareScreen === "true",
  };
  const overrides = window.roundsRoomConfig || {};
  const VIDEO = Object.assign(
    { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } },
    overrides.video || {});
  const RECONNECT_DELAYS = [300, 1000, 2000, 3000, 4000];
  const MAX_ATTEMPTS = RECONNECT_DELAYS.length;
  const DISCONNECTED_GRACE_MS = 3000;   // 'disconnected' this long counts as lost
  const CONNECT_TIMEOUT_MS = 12000;     // welcome -> media connected, or we retry
  const TOKEN_FRESH_MS = 90000;         // the page's token lives 120 s on the server
  const PING_MS = 25000;

  // -- state -------------------------------------------------------------------------------
  const S = {
    phase: "prejoin",
    isHost: data.isHost === "true",   // changes when a host makes us a co-host
    mic: null, cam: null, localStream: new MediaStream(),
    micMuted: false, camOff: false,
    screen: null,                  // {track, stream} while we share
    recording: { active: false },  // the room's recording state, from the server
    token: data.token, tokenAt: Date.now(),
    gen: 0,                        // bumped on every teardown: stale callbacks check it
    ws: null, pc: null, me: null,
    senders: {},                   // source -> {transceiver, ids: Set(track ids ever sent)}
    participants: new Map(),       // participant id -> public info
    streams: {}, screens: new Set(), serverLabelsScreens: false,
    muted: {}, speaker: null,
    remote: new Map(),             // RTCRtpTransceiver -> {track, streamId}
    chain: Promise.resolve(), wantOffer: false, awaitingAnswer: false,
    expectGlare: 0, glareSeen: 0,
    attempts: 0, timers: {}, closedReason: "", lastError: "",
    renderQueued: false, audioBlocked: false,
    timings: { joined: null, welcomed: null, connected: null },
    chat: [],                      // messages received, oldest first (kept across reconnects)
    chatIds: new Set(),
    hands: [],                     // [{participant_id, name, raised_at}], first raised first
    removed: "",                   // "may return" | "for good" once a host removed us
  };
  const CHAT_MAX = 1000;

  // -- small helpers -----------------------------------------------------------------------
  function setStatus(text, isError) {
    el.status.textContent = text;
    el.status.classList.toggle("is-error", !!isError);
  }

  function setPhase(phase) {
    S.phase = phase;
    root.dataset.state = phase;
    const inCall = phase === "joined" || phase === "reconnecting";
    el.prejoin.hidden = !(phase === "prejoin" || phase === "connecting" || phase === "waiting");
    el.stage.hidden = !inCall;
    el.controls.hidden = !inCall;
    if (el.side) el.side.hidden = !inCall;
    el.end.hidden = !(phase === "left" || phase === "closed" || phase === "failed");
    if (phase === "prejoin") {
      el.joinButton.disabled = false;
    } else if (phase === "connecting" || phase === "waiting") {
      el.joinButton.disabled = true;
    }
    updateControls();
  }

  function timer(name, ms, fn) {
    clearTimeout(S.timers[name]);
    S.timers[name] = setTimeout(() => { delete S.timers[name]; fn(); }, ms);
  }

  function clearTimer(name) {
    clearTimeout(S.timers[name]);
    delete S.timers[name];
  }

  function send(message) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) {
      S.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function initials(name) {
    const parts = String(name || "?").replace(/^(dr|mr|mrs|ms|prof)\.?\s+/i, "")
      .split(/\s+/).filter(Boolean);
    const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : parts[0] || "?";
    return letters.slice(0, 2).toUpperCase();
  }

  function nameOf(pid) {
    const p = S.participants.get(pid);
    return p ? p.display_name : "Someone";
  }

  function formatOpensAt(iso) {
    const when = new Date(iso);
    if (isNaN(when)) return "soon";
    const time = when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit",
      timeZoneName: "short" });
    const sameDay = when.toDateString() === new Date().toDateString();
    return sameDay ? time : when.toLocaleDateString([], { weekday: "long", month: "long",
      day: "numeric" }) + " at " + time;
  }

  // -- camera and microphone -------------------------------------------------------------
  function audioConstraints(deviceId) {
    const c = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (deviceId) c.deviceId = { exact: deviceId };
    return c;
  }

  function videoConstraints(deviceId) {
    const c = Object.assign({}, VIDEO);
    if (deviceId) c.deviceId = { exact: deviceId };
    return c;
  }

  function mediaError(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "You did not allow the camera and microphone, or your browser blocked them. " +
        "You can still join to watch and listen; to take part, allow them in your browser's " +
        "site settings and reload the page.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera or microphone was found. You can still join to watch and listen.";
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return "Your camera or microphone is in use by another application, or failed to start. " +
        "You can still join to watch and listen.";
    }
    return "Your camera and microphone could not be started (" + (name || error) + "). " +
      "You can still join to watch and listen.";
  }

  async function startMedia() {
    setStatus("Getting your camera and microphone ready…");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      mediaReady("This page cannot use a camera here (it needs a secure https:// address). " +
        "You can still join to watch and listen.");
      return;
    }
    const gum = (c) => navigator.mediaDevices.getUserMedia(c);
    let problem = "";
    try {
      const stream = await gum({ audio: audioConstraints(), video: videoConstraints() });
      setLocalTrack("audio", stream.getAudioTracks()[0] || null);
      setLocalTrack("video", stream.getVideoTracks()[0] || null);
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") {
        problem = mediaError(error);
      } else {
        // One of the two may be missing or busy: try each on its own.
        const [audio, video] = await Promise.allSettled([
          gum({ audio: audioConstraints() }), gum({ video: videoConstraints() })]);
        if (audio.status === "fulfilled") setLocalTrack("audio", audio.value.getAudioTracks()[0]);
        if (video.status === "fulfilled") setLocalTrack("video", video.value.getVideoTracks()[0]);
        if (!S.mic && !S.cam) problem = mediaError(error);
        else if (!S.mic) problem = "No microphone could be started; you will join with your camera only.";
        else if (!S.cam) problem = "No camera could be started; you will join with your microphone only.";
      }
    }
    await fillDeviceLists();
    mediaReady(problem);
  }

  function mediaReady(problem) {
    el.preview.hidden = !S.cam;
    el.joinButton.disabled = false;
    el.joinButton.textContent = S.mic || S.cam ? "Join " + cfg.noun : "Join to watch and listen";
    if (problem) setStatus(problem, true);
    else setStatus("Your camera and microphone are ready. Join when you are.");
  }

  function setLocalTrack(kind, track) {
    const old = kind === "audio" ? S.mic : S.cam;
    if (old && old !== track) {
      S.localStream.removeTrack(old);
      old.stop();
    }
    if (kind === "audio") S.mic = track; else S.cam = track;
    if (track) {
      track.enabled = kind === "audio" ? !S.micMuted : !S.camOff;
      S.localStream.addTrack(track);
      track.addEventListener("ended", () => {
        if ((kind === "audio" ? S.mic : S.cam) === track) {
          setStatus(kind === "audio" ? "Your microphone stopped (was it unplugged?)."
            : "Your camera stopped (was it unplugged?).", true);
        }
      });
    }
    if (kind === "video") {
      el.preview.srcObject = S.cam ? new MediaStream([S.cam]) : null;
      el.preview.hidden = !S.cam;
    }
    scheduleRender();
    updateControls();
  }

  function stopLocalMedia() {
    for (const track of [S.mic, S.cam]) if (track) track.stop();
    S.localStream = new MediaStream();
    S.mic = S.cam = null;
    el.preview.srcObject = null;
    stopShareLocal();
  }

  async function fillDeviceLists() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (error) {
      return;
    }
    fillSelect(el.cameraSelect, devices.filter((d) => d.kind === "videoinput"), S.cam, "camera");
    fillSelect(el.micSelect, devices.filter((d) => d.kind === "audioinput"), S.mic, "microphone");
  }

  function fillSelect(select, devices, track, what) {
    const current = track && track.getSettings ? track.getSettings().deviceId : "";
    select.replaceChildren();
    devices.forEach((device, i) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || what.charAt(0).toUpperCase() + what.slice(1) + " " + (i + 1);
      option.selected = device.deviceId === current;
      select.append(option);
    });
    if (!devices.length || !devices[0].deviceId) {
      select.replaceChildren();
      const option = document.createElement("option");
      option.textContent = devices.length ? "Allow access to choose a " + what : "No " + what + " found";
      select.append(option);
      select.disabled = true;
    } else {
      select.disabled = false;
    }
  }

  async function switchDevice(kind, deviceId) {
    if (!deviceId) return;
    const current = kind === "audio" ? S.mic : S.cam;
    if (current && current.getSettings().deviceId === deviceId) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia(
        kind === "audio" ? { audio: audioConstraints(deviceId) } : { video: videoConstraints(deviceId) });
      const track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
      track.enabled = kind === "audio" ? !S.micMuted : !S.camOff;
      const source = kind === "audio" ? "microphone" : "camera";
      const sending = S.senders[source];
      if (sending && S.pc) {
        // Swap on the sender first, then stop the old track: no renegotiation, no gap.
        await sending.transceiver.sender.replaceTrack(track);
        sending.ids.add(track.id);
        setLocalTrack(kind, track);
      } else if (S.pc && S.phase === "joined") {
        setLocalTrack(kind, track);
        addSender(source, track, S.localStream);   // a device that was missing at join
        negotiate();
      } else {
        setLocalTrack(kind, track);
      }
      setStatus(kind === "audio" ? "Microphone changed." : "Camera changed.");
    } catch (error) {
      setStatus("That device could not be started: " + mediaError(error), true);
      await fillDeviceLists();
    }
  }

  // -- joining, the socket, reconnecting -----------------------------------------------------
  function wsUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + cfg.wsPath;
  }

  class FatalError extends Error {}

  async function freshToken() {
    let response;
    try {
      response = await fetch(cfg.tokenUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": cfg.csrf, "Accept": "application/json" },
      });
    } catch (error) {
      throw new Error("network");
    }
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (response.ok && body && body.token) {
      S.token = body.token;
      S.tokenAt = Date.now();
      return body.token;
    }
    const message = body && body.error && body.error.message;
    if (response.status === 401) {
      throw new FatalError("You have been signed out. Sign in again, then reload this page.");
    }
    if (response.status === 403 || response.status === 404 || response.status === 410) {
      throw new FatalError(message || "You can no longer join this " + cfg.noun + ".");
    }
    throw new Error(message || "HTTP " + response.status);
  }

  async function join() {
    if (S.phase !== "prejoin" && S.phase !== "left" && S.phase !== "closed" && S.phase !== "failed") return;
    S.micMuted = S.micMuted || el.joinMuted.checked;
    if (S.mic) S.mic.enabled = !S.micMuted;
    S.timings.joined = performance.now();
    S.attempts = 0;
    setPhase("connecting");
    setStatus("Joining…");
    let token = S.token;
    if (!token || Date.now() - S.tokenAt > TOKEN_FRESH_MS) {
      try {
        token = await freshToken();
      } catch (error) {
        if (error instanceof FatalError) { fail(error.message); return; }
        scheduleReconnect("token");
        return;
      }
    }
    S.token = null;                // a token is for one join; later joins fetch a new one
    connect(token);
  }

  function connect(token) {
    const gen = S.gen;
    const ws = new WebSocket(wsUrl());
    S.ws = ws;
    ws.onopen = () => {
      if (gen !== S.gen) return;
      send({ type: "join", token: token, v: 1 });
      ping(gen);
    };
    ws.onmessage = (event) => {
      if (gen !== S.gen) return;
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message.type === "string") onMessage(message);
    };
    ws.onclose = (event) => {
      if (gen !== S.gen) return;
      onSocketClosed(event);
    };
  }

  function ping(gen) {
    timer("ping", PING_MS, () => {
      if (gen !== S.gen) return;
      send({ type: "ping" });
      ping(gen);
    });
  }

  function onSocketClosed(event) {
    S.ws = null;
    if (["left", "closed", "failed", "prejoin"].includes(S.phase)) return;
    if (event.code === 4410) {
      roomClosed(S.closedReason || "The " + cfg.noun + " has ended.");
    } else if (event.code === 4403 || event.code === 4400 || event.code === 4409 ||
               event.code === 4423 || event.code === 4424) {
      // 4423: not let in (locked, guests turned away, a host said no); 4424: removed
      fail(S.lastError || "You cannot join this room (" + (event.reason || event.code) + ").");
    } else {
      scheduleReconnect("socket " + event.code);
    }
  }

  /** Close the socket and the peer connection; callbacks of the old ones are ignored after. */
  function teardown() {
    S.gen += 1;
    for (const name of Object.keys(S.timers)) clearTimer(name);
    if (S.ws) {
      const ws = S.ws;
      S.ws = null;
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(1000, "bye"); } catch (error) { /* already closed */ }
    }
    if (S.pc) {
      const pc = S.pc;
      S.pc = null;
      pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = null;
      pc.close();
    }
    S.senders = {};
    S.remote.clear();
    S.participants.clear();
    S.streams = {};
    S.screens = new Set();
    S.muted = {};
    S.speaker = null;
    S.me = null;
    S.hands = [];
    S.chain = Promise.resolve();
    S.wantOffer = S.awaitingAnswer = false;
    S.expectGlare = S.glareSeen = 0;
    S.timings.welcomed = S.timings.connected = null;
    tellPlugins("onTeardown", null);
    scheduleRender();
  }

  function scheduleReconnect(why) {
    if (["left", "closed", "failed", "prejoin"].includes(S.phase)) return;
    if (S.phase === "reconnecting" && S.timers.reconnect) return;
    teardown();
    S.attempts += 1;
    if (S.attempts > MAX_ATTEMPTS) {
      fail("We could not reconnect to the " + cfg.noun + " after " + MAX_ATTEMPTS + " tries. Check " +
        "your network connection, then choose Rejoin.");
      return;
    }
    setPhase("reconnecting");
    setStatus("Reconnecting… (try " + S.attempts + " of " + MAX_ATTEMPTS + ")", true);
    if (window.console) console.info("rounds: reconnecting after", why);
    timer("reconnect", RECONNECT_DELAYS[S.attempts - 1], async () => {
      const gen = S.gen;
      try {
        const token = await freshToken();
        if (gen !== S.gen || S.phase !== "reconnecting") return;
        connect(token);
      } catch (error) {
        if (gen !== S.gen || S.phase !== "reconnecting") return;
        if (error instanceof FatalError) fail(error.message);
        else scheduleReconnect("token: " + error.message);
      }
    });
  }

  function showEnd(heading, message) {
    el.endHeading.textContent = heading;
    el.endMessage.textContent = message;
  }

  function fail(message) {
    teardown();
    stopLocalMedia();              // no camera light while we are not in the room
    setPhase("failed");
    showEnd(S.removed ? "You were removed" : "You are not connected", message);
    setStatus(message, true);
    el.rejoinButton.hidden = S.removed === "for good";
    if (!el.rejoinButton.hidden) el.rejoinButton.focus();
  }

  function leave() {
    send({ type: "leave" });
    teardown();
    stopLocalMedia();
    setPhase("left");
    showEnd("You left the " + cfg.noun, "Your camera and microphone are off. Choose Rejoin to go back in.");
    setStatus("You left the " + cfg.noun + ".");
    el.rejoinButton.focus();
  }

  function roomClosed(reason) {
    teardown();
    stopLocalMedia();
    setPhase("closed");
    showEnd("The " + cfg.noun + " has ended", reason);
    setStatus(reason);
  }

  async function rejoin() {
    S.removed = "";
    el.end.hidden = true;
    setPhase("prejoin");
    el.joinButton.disabled = true;
    if (!S.mic && !S.cam) await startMedia();
    await join();
  }

  // -- plugins --------------------------------------------------------------------------------
  const pluginApi = Object.freeze({
    send: (message) => send(message),
    me: () => S.me,
    isHost: () => S.isHost,
    nameOf: (pid) => nameOf(pid),
    participants: () => window.roundsRoom.participants(),
    setStatus: (text, isError) => setStatus(text, isError),
  });

  function tellPlugins(hook, m) {
    for (const plugin of window.roundsRoomPlugins || []) {
      if (typeof plugin[hook] !== "function") continue;
      try {
        plugin[hook](m, pluginApi);
      } catch (error) {
        if (window.console) console.error("rounds: room plugin failed", hook, error);
      }
    }
  }

  // -- protocol messages --------------------------------------------------------------------
  function onMessage(m) {
    handleMessage(m);
    tellPlugins("onMessage", m);
  }

  function handleMessage(m) {
    switch (m.type) {
      case "waiting":
        setPhase("waiting");
        el.joinButton.textContent = "Waiting for the " + cfg.noun + " to open…";
        setStatus((new Date(m.opens_at) > new Date()
          ? "The " + cfg.noun + " opens at " + formatOpensAt(m.opens_at) + "."
          : "Waiting for the host to open the " + cfg.noun + ".") +
          " You will be let in automatically; keep this page open.");
        break;
      case "lobby":
        setPhase("waiting");
        el.joinButton.textContent = "Waiting for a host to let you in…";
        setStatus((m.message || "A host will let you in shortly.") + " Keep this page open.");
        break;
      case "welcome": onWelcome(m); break;
      case "muted_by_host":
        if (m.kind === "video") applyCamera(true, false); else applyMic(true, false);
        setStatus((m.by || "A host") + (m.kind === "video" ? " turned off your camera."
          : " muted your microphone.") + " You can turn it back on when you are ready.");
        break;
      case "stop_screen":
        if (S.screen) {
          stopShare();
          setStatus((m.by || "A host") + " stopped your screen share.");
        }
        break;
      case "you":
        S.isHost = !!m.is_host;
        cfg.canShareScreen = !!m.can_share_screen;
        if (!cfg.canShareScreen && S.screen) stopShare();
        setStatus(m.role === "cohost" ? "You are now a co-host."
          : m.role === "presenter" ? "You are now a presenter: you may share your screen."
          : "You are a participant.");
        updateControls();
        onHands(S.hands);
        break;
      case "participant_updated":
        if (m.participant && S.participants.has(m.participant.participant_id)) {
          S.participants.set(m.participant.participant_id, m.participant);
          scheduleRender();
        }
        break;
      case "removed":
        S.removed = m.can_rejoin ? "may return" : "for good";
        S.lastError = m.message || "A host removed you.";
        break;
      case "answer": enqueue(() => onServerAnswer(m.sdp)); break;
      case "offer": enqueue(() => onServerOffer(m.sdp)); break;
      case "candidate":
        enqueue(async () => {
          if (S.pc && m.candidate) await S.pc.addIceCandidate(m);
        });
        break;
      case "participant_joined":
        if (m.participant && m.participant.participant_id !== S.me) {
          S.participants.set(m.participant.participant_id, m.participant);
          setStatus(m.participant.display_name + " joined.");
          scheduleRender();
        }
        break;
      case "participant_left":
        if (S.participants.has(m.participant_id) && m.participant_id !== S.me) {
          const who = nameOf(m.participant_id);
          S.participants.delete(m.participant_id);
          delete S.muted[m.participant_id];
          for (const [sid, pid] of Object.entries(S.streams)) {
            if (pid === m.participant_id) delete S.streams[sid];
          }
          setStatus(who + " left.");
          scheduleRender();
        }
        break;
      case "streams":
        S.streams = m.streams || {};
        if (Array.isArray(m.screens)) { S.screens = new Set(m.screens); S.serverLabelsScreens = true; }
        scheduleRender();
        break;
      case "active_speaker":
        S.speaker = m.participant_id || null;
        scheduleRender();
        break;
      case "mute": onMute(m); break;
      case "chat": onChat(m); break;
      case "hands": onHands(m.queue); break;
      case "recording": onRecording(m, true); break;
      case "room_closed":
        S.closedReason = m.reason || "The " + cfg.noun + " has ended.";
        roomClosed(S.closedReason);
        break;
      case "error": onError(m); break;
      case "pong": break;
      default: break;
    }
  }

  function onWelcome(m) {
    S.me = m.participant_id;
    S.timings.welcomed = performance.now();
    S.participants = new Map((m.participants || []).map((p) => [p.participant_id, p]));
    S.streams = m.streams || {};
    if (Array.isArray(m.screens)) { S.screens = new Set(m.screens); S.serverLabelsScreens = true; }
    S.muted = m.muted || {};
    S.speaker = m.active_speaker || null;
    onRecording(m.recording || { active: false }, false);
    onHands(m.hands || []);
    S.lastError = "";
    setPhase("joined");
    createPeerConnection(m.ice_servers || []);
    if (S.micMuted) send({ type: "mute", kind: "audio", muted: true });
    if (S.camOff) send({ type: "mute", kind: "video", muted: true });
    // Keyboard users: Join disappears with the pre-join panel; move to the call controls.
    if (!document.activeElement || document.activeElement === document.body ||
        document.activeElement === el.joinButton || el.end.contains(document.activeElement)) {
      (el.micButton.disabled ? el.leaveButton : el.micButton).focus();
    }
    const others = S.participants.size - 1;
    setStatus("You joined. " + (others === 0 ? "Nobody else is here yet."
      : others === 1 ? "1 other person is here." : others + " other people are here."));
    scheduleRender();
  }

  function onRecording(m, announce) {
    const was = !!(S.recording && S.recording.active);
    S.recording = { active: !!m.active, started_at: m.started_at || null };
    el.recordingBadge.hidden = !S.recording.active;
    if (el.recordButton) {
      el.recordButton.disabled = false;
      el.recordButton.setAttribute("aria-pressed", S.recording.active ? "true" : "false");
      el.recordButton.textContent = S.recording.active ? "Stop recording" : "Record";
    }
    if (announce && was !== S.recording.active) {
      setStatus(S.recording.active ? "This " + cfg.noun + " is now being recorded."
        : "Recording stopped.");
    }
  }

  function onMute(m) {
    const entry = S.muted[m.participant_id] || { audio: false, video: false };
    entry[m.kind] = !!m.muted;
    S.muted[m.participant_id] = entry;
    if (m.participant_id === S.me) {
      // Someone (a host, later) may mute us: follow the server.
      if (m.kind === "audio" && S.micMuted !== !!m.muted) applyMic(!!m.muted, false);
      if (m.kind === "video" && S.camOff !== !!m.muted) applyCamera(!!m.muted, false);
    }
    scheduleRender();
  }

  function onError(m) {
    const message = m.message || m.code;
    switch (m.code) {
      case "glare":
        // Our offer crossed a server offer; the server offer rolls ours back (see onServerOffer),
        // and we offer again once it is answered.
        if (S.expectGlare > 0) {
          S.expectGlare -= 1;          // already rolled back, answered and re-offered
        } else {
          S.glareSeen += 1;            // the server's offer is on its way
          S.wantOffer = true;
        }
        break;
      case "negotiation_failed":
        setStatus("Your media could not be set up: " + message, true);
        if (S.awaitingAnswer && S.pc && S.pc.signalingState === "have-local-offer") {
          enqueue(async () => {
            if (S.pc && S.pc.signalingState === "have-local-offer") {
              await S.pc.setLocalDescription({ type: "rollback" });
            }
            S.awaitingAnswer = false;
          });
        }
        break;
      case "connection_lost":
        setStatus("Your media connection was lost; reconnecting…", true);
        break;
      case "bad_token": case "wrong_room": case "cannot_join": case "protocol_version":
      case "forbidden": case "join_timeout": case "join_first":
      case "denied": case "not_admitted": case "removed":
        S.lastError = message;
        setStatus(message, true);
        break;
      case "recording_failed":
        if (el.recordButton) el.recordButton.disabled = false;
        setStatus(message, true);
        break;
      case "chat_invalid": case "chat_rate_limited": case "chat_failed":
      case "hand_rate_limited":
        if (el.chatStatus) el.chatStatus.textContent = message;
        break;
      default:
        if (window.console) console.warn("rounds: server error", m.code, message);
    }
  }

  // -- the peer connection ------------------------------------------------------------------
  function createPeerConnection(iceServers) {
    const gen = S.gen;
    const pc = new RTCPeerConnection({ iceServers: iceServers, bundlePolicy: "max-bundle",
      rtcpMuxPolicy: "require" });
    S.pc = pc;
    if (S.mic) addSender("microphone", S.mic, S.localStream);
    if (S.cam) addSender("camera", S.cam, S.localStream);
    if (S.screen) addSender("screen", S.screen.track, S.screen.stream);
    if (!S.mic && !S.cam) pc.addTransceiver("audio", { direction: "recvonly" });   // watch only
    pc.onicecandidate = (event) => {
      if (gen !== S.gen) return;
      const c = event.candidate;
      send(c && c.candidate
        ? { type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
        : { type: "candidate", candidate: null });
    };
    pc.ontrack = (event) => {
      if (gen !== S.gen) return;
      const stream = event.streams[0];
      S.remote.set(event.transceiver, { track: event.track, streamId: stream ? stream.id : null });
      event.track.addEventListener("unmute", scheduleRender);
      scheduleRender();
    };
    pc.onconnectionstatechange = () => {
      if (gen !== S.gen) return;
      const state = pc.connectionState;
      if (state === "connected") {
        clearTimer("disconnected");
        clearTimer("connect");
        S.attempts = 0;
        if (S.timings.connected === null) S.timings.connected = performance.now();
        if (S.phase === "joined" && /Reconnecting|lost/.test(el.status.textContent)) {
          setStatus("Reconnected.");
        }
      } else if (state === "disconnected") {
        if (!S.timers.disconnected) {
          timer("disconnected", DISCONNECTED_GRACE_MS, () => {
            if (gen === S.gen) scheduleReconnect("media disconnected");
          });
        }
      } else if (state === "failed") {
        scheduleReconnect("media failed");
      }
    };
    timer("connect", CONNECT_TIMEOUT_MS, () => {
      if (gen === S.gen && pc.connectionState !== "connected") scheduleReconnect("media timeout");
    });
    negotiate();
  }

  function addSender(source, track, stream) {
    const transceiver = S.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    S.senders[source] = { transceiver: transceiver, ids: new Set([track.id]) };
  }

  /** Every source we send, under each key the server may look it up by (track ids, mid). */
  function trackSources() {
    const out = {};
    for (const [source, sending] of Object.entries(S.senders)) {
      const t = sending.transceiver;
      if (t.stopped || (t.direction !== "sendonly" && t.direction !== "sendrecv")) continue;
      if (t.mid) out[t.mid] = source;
      for (const id of sending.ids) out[id] = source;
      if (t.sender.track) out[t.sender.track.id] = source;
    }
    return out;
  }

  /** Run negotiation steps one at a time, in order; a step from an old connection is skipped. */
  function enqueue(step) {
    const gen = S.gen;
    S.chain = S.chain.then(async () => {
      if (gen !== S.gen || !S.pc) return;
      await step();
      if (gen === S.gen) await maybeOffer();
    }).catch((error) => {
      if (gen !== S.gen) return;
      if (window.console) console.error("rounds: negotiation step failed", error);
      setStatus("Setting up the media connection failed; reconnecting…", true);
      scheduleReconnect("negotiation: " + error);
    });
    return S.chain;
  }

  function negotiate() {
    S.wantOffer = true;
    enqueue(async () => {});
  }

  async function maybeOffer() {
    const pc = S.pc;
    if (!pc || !S.wantOffer || S.awaitingAnswer || pc.signalingState !== "stable") return;
    S.wantOffer = false;
    await pc.setLocalDescription(await pc.createOffer());
    S.awaitingAnswer = true;
    send({ type: "offer", sdp: pc.localDescription.sdp, tracks: trackSources() });
  }

  async function onServerAnswer(sdp) {
    const pc = S.pc;
    if (pc.signalingState !== "have-local-offer") return;    // rolled back meanwhile
    await pc.setRemoteDescription({ type: "answer", sdp: sdp });
    S.awaitingAnswer = false;
    afterNegotiation();
  }

  async function onServerOffer(sdp) {
    const pc = S.pc;
    if (pc.signalingState !== "stable") {
      // Glare: we are the polite peer. Our offer will be refused ('glare'); take theirs.
      await pc.setLocalDescription({ type: "rollback" });
      S.awaitingAnswer = false;
      S.wantOffer = true;
      if (S.glareSeen > 0) S.glareSeen -= 1; else S.expectGlare += 1;
    }
    await pc.setRemoteDescription({ type: "offer", sdp: sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: "answer", sdp: pc.localDescription.sdp });
    afterNegotiation();
  }

  function afterNegotiation() {
    for (const [transceiver] of S.remote) {
      const dir = transceiver.currentDirection;
      if (transceiver.stopped || (dir !== "recvonly" && dir !== "sendrecv")) {
        S.remote.delete(transceiver);
      }
    }
    scheduleRender();
  }

  // -- own controls -------------------------------------------------------------------------
  function applyMic(muted, tell) {
    S.micMuted = muted;
    if (S.mic) S.mic.enabled = !muted;
    if (tell) send({ type: "mute", kind: "audio", muted: muted });
    if (S.me) {
      S.muted[S.me] = Object.assign({ audio: false, video: false }, S.muted[S.me], { audio: muted });
    }
    updateControls();
    scheduleRender();
  }

  function applyCamera(off, tell) {
    S.camOff = off;
    if (S.cam) S.cam.enabled = !off;
    if (tell) send({ type: "mute", kind: "video", muted: off });
    if (S.me) {
      S.muted[S.me] = Object.assign({ audio: false, video: false }, S.muted[S.me], { video: off });
    }
    updateControls();
    scheduleRender();
  }

  async function startShare() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      setStatus("This browser cannot share a screen.", true);
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (error) {
      setStatus(error.name === "NotAllowedError" ? "Screen sharing was cancelled."
        : "Your screen could not be shared (" + error.name + ").", error.name !== "NotAllowedError");
      return;
    }
    if (!S.pc || S.phase !== "joined") {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    const track = stream.getVideoTracks()[0];
    if ("contentHint" in track) track.contentHint = "detail";
    track.addEventListener("ended", stopShare);    // "Stop sharing" in the browser's own UI
    S.screen = { track: track, stream: stream };
    const sending = S.senders.screen;
    if (sending && !sending.transceiver.stopped) {
      sending.transceiver.direction = "sendonly";
      await sending.transceiver.sender.replaceTrack(track);
      if (sending.transceiver.sender.setStreams) sending.transceiver.sender.setStreams(stream);
      sending.ids.add(track.id);
    } else {
      addSender("screen", track, stream);
    }
    negotiate();
    setStatus("You are sharing your screen.");
    updateControls();
    scheduleRender();
  }

  function stopShareLocal() {
    if (!S.screen) return;
    const track = S.screen.track;
    S.screen = null;
    track.removeEventListener("ended", stopShare);
    track.stop();
  }

  function stopShare() {
    if (!S.screen) return;
    stopShareLocal();
    const sending = S.senders.screen;
    if (sending && S.pc && !sending.transceiver.stopped) {
      sending.transceiver.sender.replaceTrack(null).catch(() => {});
      sending.transceiver.direction = "inactive";
      negotiate();
    }
    setStatus("You stopped sharing your screen.");
    updateControls();
    scheduleRender();
  }

  function updateControls() {
    const joined = S.phase === "joined";
    setPressed(el.micButton, S.micMuted, S.micMuted ? "Unmute" : "Mute");
    el.micButton.disabled = !S.mic || !joined;
    setPressed(el.cameraButton, S.camOff, S.camOff ? "Start camera" : "Stop camera");
    el.cameraButton.disabled = !S.cam || !joined;
    if (el.screenButton) {
      setPressed(el.screenButton, !!S.screen, S.screen ? "Stop sharing" : "Share screen");
      el.screenButton.disabled = !joined;
      el.screenButton.hidden = !cfg.canShareScreen || !navigator.mediaDevices ||
        !navigator.mediaDevices.getDisplayMedia;
    }
    el.leaveButton.disabled = !(joined || S.phase === "reconnecting");
    if (el.handButton) el.handButton.disabled = !joined;
    if (el.chatSend) el.chatSend.disabled = !joined;
    if (el.endButton) {
      el.endButton.disabled = !joined;
      el.endButton.hidden = !S.isHost;
    }
    if (el.recordButton) el.recordButton.hidden = !S.isHost;
  }

  function setPressed(button, pressed, label) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.textContent = label;
  }

  // -- chat and raised hands ------------------------------------------------------------------
  function timeOf(iso) {
    const when = new Date(iso);
    return isNaN(when) ? "" : when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function onChat(m) {
    if (!el.chatList || !m.from || typeof m.text !== "string" || S.chatIds.has(m.id)) return;
    S.chatIds.add(m.id);
    S.chat.push({ id: m.id, from: m.from, text: m.text, to: m.to, at: m.at });
    const mine = m.from.participant_id === S.me;
    const item = document.createElement("li");
    item.className = "chat-message" + (m.to === "hosts" ? " to-hosts" : "") + (mine ? " mine" : "");
    item.dataset.id = String(m.id);
    const meta = document.createElement("span");
    meta.className = "chat-meta";
    const who = mine ? "You" : String(m.from.name || "Someone");
    meta.textContent = who + (m.to === "hosts" ? " (to the hosts)" : "") + " · " + timeOf(m.at);
    const text = document.createElement("p");
    text.className = "chat-text";
    text.textContent = m.text;           // text, never HTML
    item.append(meta, text);
    const atBottom = el.chatList.scrollHeight - el.chatList.scrollTop - el.chatList.clientHeight < 40;
    el.chatList.append(item);
    if (atBottom || mine) el.chatList.scrollTop = el.chatList.scrollHeight;
  }

  function sendChat() {
    const text = el.chatInput.value.trim();
    if (!text) return;
    if (text.length > CHAT_MAX) {
      el.chatStatus.textContent = "A chat message is limited to " + CHAT_MAX + " characters.";
      return;
    }
    if (send({ type: "chat", text: text, to: el.chatTo.value === "hosts" ? "hosts" : "everyone" })) {
      el.chatInput.value = "";
      el.chatStatus.textContent = "";
    } else {
      el.chatStatus.textContent = "You are not connected; your message was not sent.";
    }
  }

  function myHandUp() {
    return S.hands.some((h) => h.participant_id === S.me);
  }

  function onHands(queue) {
    S.hands = Array.isArray(queue) ? queue : [];
    if (!el.handsList) return;
    el.handsList.replaceChildren();
    for (const hand of S.hands) {
      const item = document.createElement("li");
      item.dataset.participantId = hand.participant_id;
      const name = document.createElement("span");
      name.className = "hand-name";
      name.textContent = hand.participant_id === S.me ? "You" : String(hand.name || "Someone");
      item.append(name);
      if (S.isHost) {
        const lower = document.createElement("button");
        lower.type = "button";
        lower.className = "hand-lower";
        lower.textContent = "Lower";
        lower.setAttribute("aria-label", "Lower " + name.textContent + "'s hand");
        lower.addEventListener("click", () => {
          send({ type: "hand", raised: false, participant_id: hand.participant_id });
        });
        item.append(lower);
      }
      el.handsList.append(item);
    }
    el.handsEmpty.hidden = S.hands.length > 0;
    const up = myHandUp();
    setPressed(el.handButton, up, up ? "Lower hand" : "Raise hand");
  }

  // -- tiles and layout ---------------------------------------------------------------------
  function scheduleRender() {
    if (S.renderQueued) return;
    S.renderQueued = true;
    setTimeout(() => { S.renderQueued = false; render(); }, 0);
  }

  function makeTile(key, kind) {
    const tile = document.createElement("figure");
    tile.className = "tile " + kind;
    tile.dataset.key = key;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;                 // sound goes through the <audio> element
    const placeholder = document.createElement("div");
    placeholder.className = "tile-placeholder";
    placeholder.setAttribute("aria-hidden", "true");
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.className = "tile-name";
    const micOff = document.createElement("span");
    micOff.className = "tile-mic-off";
    micOff.textContent = "Muted";
    micOff.hidden = true;
    caption.append(name, micOff);
    tile.append(video, placeholder, caption);
    if (kind === "remote") {
      const audio = document.createElement("audio");
      audio.autoplay = true;
      tile.append(audio);
    }
    tile.setAttribute("role", "group");
    return tile;
  }

  function setTrack(media, tracks) {
    const current = media.srcObject ? media.srcObject.getTracks() : [];
    const same = current.length === tracks.length && tracks.every((t) => current.includes(t));
    if (same) return false;
    media.srcObject = tracks.length ? new MediaStream(tracks) : null;
    return true;
  }

  function playAudio(audio) {
    const started = audio.play();
    if (started && started.catch) {
      started.catch((error) => {
        if (error.name === "NotAllowedError") {
          S.audioBlocked = true;
          el.soundButton.hidden = false;
        }
      });
    }
  }

  /** Received tracks grouped by stream, and which streams are screen shares. */
  function remoteByStream() {
    const byStream = new Map();
    for (const [, r] of S.remote) {
      if (!r.streamId || !(r.streamId in S.streams) || r.track.readyState === "ended") continue;
      if (!byStream.has(r.streamId)) byStream.set(r.streamId, []);
      byStream.get(r.streamId).push(r.track);
    }
    const screens = new Set();
    if (S.serverLabelsScreens) {
      for (const sid of byStream.keys()) if (S.screens.has(sid)) screens.add(sid);
    } else {
      // Older servers: a participant's second video stream, the one without sound, is a screen.
      const owners = {};
      for (const [sid, tracks] of byStream) {
        const pid = S.streams[sid];
        (owners[pid] = owners[pid] || []).push([sid, tracks]);
      }
      for (const list of Object.values(owners)) {
        if (list.length < 2) continue;
        const silent = list.filter(([, t]) => !t.some((x) => x.kind === "audio"));
        silent.slice(silent.length === list.length ? 1 : 0).forEach(([sid]) => screens.add(sid));
      }
    }
    return { byStream, screens };
  }

  function render() {
    const { byStream, screens } = remoteByStream();
    const wanted = new Map();   // tile key -> {pid, kind, video, audio}
    if (S.phase === "joined" || S.phase === "reconnecting") {
      for (const [pid] of S.participants) {
        if (pid === S.me) continue;
        wanted.set("p:" + pid, { pid: pid, kind: "remote", video: [], audio: [] });
      }
      for (const [sid, tracks] of byStream) {
        const pid = S.streams[sid];
        if (pid === S.me || !S.participants.has(pid)) continue;
        if (screens.has(sid)) {
          wanted.set("s:" + sid, { pid: pid, kind: "screen", video: tracks.filter((t) => t.kind === "video"), audio: [] });
        } else {
          const entry = wanted.get("p:" + pid);
          entry.video.push(...tracks.filter((t) => t.kind === "video"));
          entry.audio.push(...tracks.filter((t) => t.kind === "audio"));
        }
      }
      if (S.me) {
        wanted.set("self", { pid: S.me, kind: "self", video: S.cam ? [S.cam] : [], audio: [] });
        if (S.screen) wanted.set("own-screen", { pid: S.me, kind: "screen own", video: [S.screen.track], audio: [] });
      }
    }
    // remove tiles no longer wanted
    for (const tile of [...el.grid.children, ...el.presenter.children]) {
      if (!wanted.has(tile.dataset.key)) {
        for (const media of tile.querySelectorAll("video, audio")) media.srcObject = null;
        tile.remove();
      }
    }
    const existing = new Map([...el.grid.children, ...el.presenter.children].map((t) => [t.dataset.key, t]));
    let presenting = false;
    for (const [key, want] of wanted) {
      let tile = existing.get(key);
      if (!tile) tile = makeTile(key, want.kind);
      tile.dataset.participantId = want.pid;
      const isScreen = want.kind.startsWith("screen");
      presenting = presenting || isScreen;
      const parent = isScreen ? el.presenter : el.grid;
      if (tile.parentNode !== parent) parent.append(tile);
      const name = want.kind === "self" ? "You" : nameOf(want.pid);
      const label = isScreen ? (want.kind === "screen own" ? "Your screen" : name + "'s screen") : name;
      tile.querySelector(".tile-name").textContent = label;
      tile.setAttribute("aria-label", label);
      const muted = S.muted[want.pid] || {};
      const audioMuted = want.kind === "self" ? S.micMuted : !!muted.audio;
      const videoOff = want.kind === "self" ? S.camOff || !S.cam : !!muted.video;
      const video = tile.querySelector("video");
      setTrack(video, want.video.slice(0, 1));
      const showVideo = want.video.length > 0 && (isScreen || !videoOff);
      video.hidden = !showVideo;
      const placeholder = tile.querySelector(".tile-placeholder");
      placeholder.hidden = showVideo;
      placeholder.textContent = initials(want.kind === "self" ? cfg.displayName : nameOf(want.pid));
      const micOff = tile.querySelector(".tile-mic-off");
      micOff.hidden = isScreen || !audioMuted;
      tile.classList.toggle("audio-muted", !isScreen && audioMuted);
      tile.classList.toggle("video-off", !showVideo);
      tile.classList.toggle("speaking", !isScreen && S.speaker === want.pid);
      if (video.srcObject && video.paused) video.play().catch(() => {});
      const audio = tile.querySelector("audio");
      if (audio && setTrack(audio, want.audio) && audio.srcObject) playAudio(audio);
      else if (audio && audio.srcObject && audio.paused && !S.audioBlocked) playAudio(audio);
    }
    // own tile last, screens first
    const self = el.grid.querySelector('[data-key="self"]');
    if (self && self !== el.grid.lastElementChild) el.grid.append(self);
    el.presenter.hidden = !presenting;
    el.stage.classList.toggle("presenting", presenting);
    const remotes = el.grid.querySelectorAll(".tile.remote").length;
    el.grid.dataset.count = String(remotes + (self ? 1 : 0));
  }

  // -- wiring -------------------------------------------------------------------------------
  el.joinButton.addEventListener("click", () => { join(); });
  el.micButton.addEventListener("click", () => applyMic(!S.micMuted, true));
  el.cameraButton.addEventListener("click", () => applyCamera(!S.camOff, true));
  if (el.screenButton) {
    el.screenButton.addEventListener("click", () => { if (S.screen) stopShare(); else startShare(); });
  }
  el.leaveButton.addEventListener("click", leave);
  if (el.endButton) {
    el.endButton.addEventListener("click", () => {
      if (window.confirm("End the " + cfg.noun + " for everyone? Everyone will be disconnected.")) {
        send({ type: "close_room" });
      }
    });
  }
  if (el.recordButton) {
    el.recordButton.addEventListener("click", () => {
      el.recordButton.disabled = true;   // until the server says what happened
      send({ type: "record", on: !(S.recording && S.recording.active) });
    });
  }
  el.rejoinButton.addEventListener("click", () => { rejoin(); });
  if (el.handButton) {
    el.handButton.addEventListener("click", () => { send({ type: "hand", raised: !myHandUp() }); });
  }
  if (el.chatForm) {
    el.chatForm.addEventListener("submit", (event) => { event.preventDefault(); sendChat(); });
  }
  el.soundButton.addEventListener("click", () => {
    S.audioBlocked = false;
    el.soundButton.hidden = true;
    for (const audio of document.querySelectorAll(".tile audio")) if (audio.srcObject) playAudio(audio);
  });
  el.cameraSelect.addEventListener("change", () => switchDevice("video", el.cameraSelect.value));
  el.micSelect.addEventListener("change", () => switchDevice("audio", el.micSelect.value));
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", fillDeviceLists);
  }
  window.addEventListener("pagehide", () => {
    // Hang up explicitly: the server would otherwise notice only when ICE consent expires.
    if (S.ws) send({ type: "leave" });
  });
  window.addEventListener("online", () => {
    if (S.phase === "reconnecting" && S.timers.reconnect) {
      clearTimer("reconnect");
      S.attempts = Math.max(0, S.attempts - 1);
      scheduleReconnect("back online");
    }
  });

  window.roundsRoom = Object.freeze({
    state: () => S.phase,
    participantId: () => S.me,
    pc: () => S.pc,
    participants: () => [...S.participants.values()].map((p) => Object.assign({}, p, {
      muted: Object.assign({ audio: false, video: false }, S.muted[p.participant_id]),
      speaking: S.speaker === p.participant_id,
    })),
    tiles: () => [...el.grid.querySelectorAll(".tile.remote"), ...el.presenter.querySelectorAll(".tile.screen")]
      .filter((tile) => !tile.classList.contains("own"))
      .map((tile) => {
        const video = tile.querySelector("video").srcObject;
        const audio = tile.querySelector("audio");
        return {
          participant_id: tile.dataset.participantId,
          screen: tile.classList.contains("screen"),
          video_track: video && video.getVideoTracks()[0] ? video.getVideoTracks()[0].id : null,
          audio_tracks: audio && audio.srcObject ? audio.srcObject.getAudioTracks().map((t) => t.id) : [],
          audio_playing: !!(audio && audio.srcObject && !audio.paused),
        };
      }),
    timings: () => Object.assign({}, S.timings),
    recording: () => Object.assign({ active: false }, S.recording),
    chat: () => S.chat.map((m) => Object.assign({}, m, { from: Object.assign({}, m.from) })),
    hands: () => S.hands.map((h) => Object.assign({}, h)),
  });

  setPhase("prejoin");
  el.joinButton.disabled = true;
  startMedia();
})();

/*
 * Rounds live room: polls, Q&A and reactions (templates/live/_interaction.html). A room.js
 * plugin (see room.js, "Plugins") speaking signaling protocol v1's interaction messages
 * (app/signaling/__init__.py):
 *   poll_open {question, kind, options, show_results}, poll_vote {poll_id, choices},
 *   poll_close {poll_id}, poll_show {poll_id, shown}, question_ask {text},
 *   question_upvote {question_id, on}, question_answer {question_id, answered},
 *   question_dismiss {question_id}, reaction {emoji}, interaction_sync {}.
 * The server sends `interaction` {polls, questions} right after `welcome` (and after
 * interaction_sync, which we send when a host makes us a co-host or takes it back), then
 * poll, poll_results, poll_voted, question, question_removed and reaction as things happen.
 *
 * Poll cards and question items are built once and updated in place, so a choice being made
 * or a focused button survives the updates. Text from people (questions, options, names) is put
 * on the page with textContent only.
 *
 * Test hooks (read-only copies):
 *   window.roundsInteraction.polls()      [{id, question, kind, options, closed, results_shown,
 *                                           by, mine: [index] | null,
 *                                           results: {counts, voters} | null}], oldest first
 *   window.roundsInteraction.questions()  [{id, text, asker, mine, upvotes, upvoted, answered}]
 *                                           in the order shown
 *   window.roundsInteraction.reactions()  [{participant_id, name, emoji}] received, oldest first
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const el = {
    pollsPanel: $("polls-panel"), announce: $("poll-announce"), create: $("poll-create"),
    question: $("poll-question"), kind: $("poll-kind"), options: $("poll-options"),
    show: $("poll-show"), openButton: $("poll-open"), pollStatus: $("poll-status"),
    pollsEmpty: $("polls-empty"), pollList: $("poll-list"),
    qaForm: $("qa-form"), qaInput: $("qa-input"), qaAsk: $("qa-ask"), qaStatus: $("qa-status"),
    qaEmpty: $("qa-empty"), qaList: $("qa-list"),
    reactionsBar: $("reactions-bar"), reactionStatus: $("reaction-status"),
    float: $("reaction-float"),
  };
  if (!el.pollsPanel) return;

  const LIMITS = { question: 300, option: 200, minOptions: 2, maxOptions: 10, ask: 500 };
  const FLOAT_MS = 3000;
  const KEEP_REACTIONS = 100;

  const S = {
    api: null,
    connected: false,
    host: false,
    polls: new Map(),       // id -> poll, oldest first
    cards: new Map(),       // id -> the poll's card (elements)
    drafts: new Map(),      // id -> [index]: choices made but not sent
    questions: new Map(),   // id -> question
    items: new Map(),       // id -> the question's <li> and its parts
    reactions: [],
  };

  // -- small helpers -------------------------------------------------------------------------
  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, onClick, className) {
    const b = make("button", className, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function send(message, status) {
    if (S.api && S.api.send(message)) return true;
    status.textContent = "You are not connected; try again in a moment.";
    return false;
  }

  function timeOf(iso) {
    const when = new Date(iso);
    return isNaN(when) ? "" : when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  // -- polls -----------------------------------------------------------------------------------
  function readPollForm() {
    const question = el.question.value.trim();
    const options = el.options.value.split("\n").map((o) => o.trim()).filter((o) => o);
    if (!question) return { problem: "Type the question the poll asks." };
    if (question.length > LIMITS.question) {
      return { problem: "A poll question is limited to " + LIMITS.question + " characters." };
    }
    if (options.length < LIMITS.minOptions || options.length > LIMITS.maxOptions) {
      return { problem: "Give from " + LIMITS.minOptions + " to " + LIMITS.maxOptions +
        " options, one a line; you gave " + options.length + "." };
    }
    const long = options.findIndex((o) => o.length > LIMITS.option);
    if (long >= 0) {
      return { problem: "Option " + (long + 1) + " is longer than " + LIMITS.option + " characters." };
    }
    const seen = options.map((o) => o.toLowerCase());
    const repeated = seen.findIndex((o, i) => seen.indexOf(o) !== i);
    if (repeated >= 0) return { problem: "Option " + (repeated + 1) + " repeats another option." };
    return {
      message: { type: "poll_open", question: question, options: options,
        kind: el.kind.value === "multiple" ? "multiple" : "single", show_results: el.show.checked },
    };
  }

  function openPoll() {
    const read = readPollForm();
    if (read.problem) {
      el.pollStatus.textContent = read.problem;
      return;
    }
    if (send(read.message, el.pollStatus)) {
      el.question.value = "";
      el.options.value = "";
      el.show.checked = false;
      el.pollStatus.textContent = "";
    }
  }

  function buildCard(poll) {
    const item = make("li", "poll");
    item.dataset.pollId = String(poll.id);
    const title = make("h3", "poll-question", poll.question);
    title.id = "poll-q-" + poll.id;
    const meta = make("p", "poll-meta");
    const form = make("form", "poll-vote");
    const fieldset = make("fieldset");
    fieldset.setAttribute("aria-labelledby", title.id);
    const inputs = poll.options.map((option, index) => {
      const label = make("label", "check poll-option");
      const input = make("input");
      input.type = poll.kind === "multiple" ? "checkbox" : "radio";
      input.name = "poll-" + poll.id;
      input.value = String(index);
      input.addEventListener("change", () => {
        S.drafts.set(poll.id, inputs.filter((i) => i.checked).map((i) => Number(i.value)));
      });
      label.append(input, make("span", "", option));
      fieldset.append(label);
      return input;
    });
    const submit = make("button", "poll-submit", "Vote");
    submit.type = "submit";
    fieldset.append(submit);
    form.append(fieldset);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const choices = inputs.filter((i) => i.checked).map((i) => Number(i.value));
      if (!choices.length) {
        el.pollStatus.textContent = "Choose an option before voting.";
        return;
      }
      if (send({ type: "poll_vote", poll_id: poll.id, choices: choices }, el.pollStatus)) {
        el.pollStatus.textContent = "";
      }
    });
    const mine = make("p", "poll-mine");
    const results = make("div", "poll-results");
    const voters = make("p", "poll-voters");
    const bars = make("ul", "poll-bars");
    const rows = poll.options.map((option) => {
      const row = make("li");
      const meter = make("meter");
      meter.min = 0;
      meter.setAttribute("aria-label", option);
      const count = make("span", "poll-count");
      row.append(make("span", "poll-option-text", option), meter, count);
      bars.append(row);
      return { meter: meter, count: count };
    });
    results.append(voters, bars);
    const hostActions = make("p", "poll-host");
    const closeButton = button("Close poll", () => {
      send({ type: "poll_close", poll_id: poll.id }, el.pollStatus);
    });
    const showButton = button("Show results to everyone", () => {
      const current = S.polls.get(poll.id);
      send({ type: "poll_show", poll_id: poll.id, shown: !(current && current.results_shown) },
        el.pollStatus);
    });
    hostActions.append(closeButton, showButton);
    item.append(title, meta, form, mine, results, hostActions);
    return { item, meta, form, inputs, submit, mine, results, voters, rows, hostActions,
      closeButton, showButton };
  }

  function updateCard(card, poll) {
    const parts = [poll.kind === "multiple" ? "Any number of choices" : "One choice",
      poll.closed ? "Closed" : "Open"];
    if (poll.results_shown) parts.push("results shown to everyone");
    else if (S.host) parts.push("results shown to hosts only");
    card.meta.textContent = parts.join(" · ") + (poll.by ? " · asked by " + poll.by : "");
    card.item.classList.toggle("closed", !!poll.closed);
    const canVote = !poll.closed && S.connected;
    card.form.hidden = !!poll.closed;
    const chosen = S.drafts.get(poll.id) || poll.mine || [];
    card.inputs.forEach((input, index) => {
      input.disabled = !canVote;
      input.checked = chosen.includes(index);
    });
    card.submit.disabled = !canVote;
    card.submit.textContent = poll.mine ? "Change vote" : "Vote";
    card.mine.textContent = poll.mine
      ? "Your vote: " + poll.mine.map((i) => poll.options[i]).join(", ")
      : (poll.closed ? "You did not vote." : "");
    const results = poll.results;
    card.results.hidden = !results;
    if (results) {
      card.voters.textContent = plural(results.voters, "person voted", "people voted");
      card.rows.forEach((row, index) => {
        const votes = results.counts[index] || 0;
        const percent = results.voters ? Math.round(100 * votes / results.voters) : 0;
        row.meter.max = Math.max(1, results.voters);
        row.meter.value = votes;
        row.count.textContent = plural(votes, "vote", "votes") + " (" + percent + "%)";
      });
    }
    card.hostActions.hidden = !S.host;
    card.closeButton.hidden = !!poll.closed;
    card.closeButton.disabled = card.showButton.disabled = !S.connected;
    card.showButton.textContent = poll.results_shown ? "Hide results from everyone"
      : "Show results to everyone";
    card.showButton.setAttribute("aria-pressed", poll.results_shown ? "true" : "false");
  }

  function renderPoll(poll) {
    let card = S.cards.get(poll.id);
    if (!card) {
      card = buildCard(poll);
      S.cards.set(poll.id, card);
      el.pollList.prepend(card.item);          // newest first
    }
    updateCard(card, poll);
    el.pollsEmpty.hidden = S.polls.size > 0;
  }

  function renderPolls() {
    for (const poll of S.polls.values()) renderPoll(poll);
    el.pollsEmpty.hidden = S.polls.size > 0;
    el.create.hidden = !S.host;
    el.openButton.disabled = !S.connected;
  }

  function setPolls(polls) {
    S.polls.clear();
    S.cards.clear();
    el.pollList.replaceChildren();
    for (const poll of polls || []) {
      S.polls.set(poll.id, Object.assign({}, poll, { results: poll.results || null }));
      if (poll.closed) S.drafts.delete(poll.id);
    }
    renderPolls();
  }

  function onPoll(update) {
    const known = S.polls.get(update.id);
    const poll = Object.assign({}, update, {
      mine: known ? known.mine : null,
      results: update.results || null,
    });
    S.polls.set(poll.id, poll);
    if (!known) {
      el.announce.textContent = "New poll" + (poll.by ? " from " + poll.by : "") + ": " +
        poll.question;
    } else if (poll.closed && !known.closed) {
      el.announce.textContent = "Poll closed: " + poll.question;
    }
    renderPoll(poll);
  }

  function onResults(m) {
    const poll = S.polls.get(m.poll_id);
    if (!poll) return;
    poll.results = { counts: m.counts || [], voters: m.voters || 0 };
    renderPoll(poll);
  }

  function onVoted(m) {
    const poll = S.polls.get(m.poll_id);
    if (!poll) return;
    poll.mine = Array.isArray(m.choices) ? m.choices : null;
    S.drafts.delete(poll.id);
    el.pollStatus.textContent = "Your vote was counted.";
    renderPoll(poll);
  }

  // -- questions -------------------------------------------------------------------------------
  function questionOrder(a, b) {
    if (a.answered !== b.answered) return a.answered ? 1 : -1;
    if (a.upvotes !== b.upvotes) return b.upvotes - a.upvotes;
    if (a.asked_at !== b.asked_at) return a.asked_at < b.asked_at ? -1 : 1;
    return a.id - b.id;
  }

  function buildItem(q) {
    const item = make("li", "question");
    item.dataset.questionId = String(q.id);
    const text = make("p", "question-text", q.text);
    const meta = make("p", "question-meta");
    const votes = make("span", "question-votes");
    const upvote = button("Upvote", () => {
      const current = S.questions.get(q.id);
      send({ type: "question_upvote", question_id: q.id, on: !(current && current.upvoted) },
        el.qaStatus);
    }, "question-upvote");
    const hostActions = make("span", "question-host");
    const answer = button("Mark answered", () => {
      const current = S.questions.get(q.id);
      send({ type: "question_answer", question_id: q.id, answered: !(current && current.answered) },
        el.qaStatus);
    });
    const dismiss = button("Dismiss", () => {
      send({ type: "question_dismiss", question_id: q.id }, el.qaStatus);
    }, "danger");
    hostActions.append(answer, dismiss);
    const actions = make("p", "question-actions");
    actions.append(votes, upvote, hostActions);
    item.append(text, meta, actions);
    return { item, meta, votes, upvote, hostActions, answer, dismiss };
  }

  function updateItem(parts, q) {
    const who = q.mine ? "You" : String(q.asker || "Someone");
    parts.meta.textContent = who + " · " + timeOf(q.asked_at) + (q.answered ? " · Answered" : "");
    parts.item.classList.toggle("answered", !!q.answered);
    parts.votes.textContent = plural(q.upvotes, "upvote", "upvotes");
    parts.upvote.hidden = !!q.mine;
    parts.upvote.disabled = !S.connected || (q.answered && !q.upvoted);
    parts.upvote.textContent = q.upvoted ? "Upvoted" : "Upvote";
    parts.upvote.setAttribute("aria-pressed", q.upvoted ? "true" : "false");
    parts.upvote.setAttribute("aria-label", (q.upvoted ? "Take back your upvote of " : "Upvote ") +
      who + "'s question");
    parts.hostActions.hidden = !S.host;
    parts.answer.textContent = q.answered ? "Mark unanswered" : "Mark answered";
    parts.answer.disabled = parts.dismiss.disabled = !S.connected;
  }

  function renderQuestions() {
    const focused = document.activeElement;
    const sorted = [...S.questions.values()].sort(questionOrder);
    for (const [id, parts] of S.items) {
      if (!S.questions.has(id)) {
        parts.item.remove();
        S.items.delete(id);
      }
    }
    sorted.forEach((q, index) => {
      let parts = S.items.get(q.id);
      if (!parts) {
        parts = buildItem(q);
        S.items.set(q.id, parts);
      }
      updateItem(parts, q);
      if (el.qaList.children[index] !== parts.item) {
        el.qaList.insertBefore(parts.item, el.qaList.children[index] || null);
      }
    });
    // moving an item takes the focus away from a button in it: give it back
    if (focused && focused !== document.activeElement && el.qaList.contains(focused)) focused.focus();
    el.qaEmpty.hidden = S.questions.size > 0;
    el.qaAsk.disabled = !S.connected;
  }

  function askQuestion() {
    const text = el.qaInput.value.trim();
    if (!text) return;
    if (text.length > LIMITS.ask) {
      el.qaStatus.textContent = "A question is limited to " + LIMITS.ask + " characters.";
      return;
    }
    if (send({ type: "question_ask", text: text }, el.qaStatus)) {
      el.qaInput.value = "";
      el.qaStatus.textContent = "";
    }
  }

  // -- reactions -------------------------------------------------------------------------------
  function onReaction(m) {
    S.reactions.push({ participant_id: m.participant_id, name: m.name, emoji: m.emoji });
    if (S.reactions.length > KEEP_REACTIONS) S.reactions.shift();
    const bubble = make("span", "reaction-bubble");
    bubble.append(make("span", "reaction-emoji", String(m.emoji)),
      make("span", "reaction-name", S.api && m.participant_id === S.api.me() ? "You" : String(m.name || "")));
    el.float.append(bubble);
    setTimeout(() => bubble.remove(), FLOAT_MS);
  }

  // -- the plugin ------------------------------------------------------------------------------
  function setConnected(connected) {
    S.connected = connected;
    for (const b of el.reactionsBar.querySelectorAll(".reaction-button")) b.disabled = !connected;
    renderPolls();
    renderQuestions();
  }

  function onError(m) {
    const code = String(m.code || "");
    const message = m.message || code;
    if (code.startsWith("poll_") || code.startsWith("interaction_")) {
      el.pollStatus.textContent = message;
    } else if (code.startsWith("question_") || code === "upvote_refused") {
      el.qaStatus.textContent = message;
    } else if (code.startsWith("reaction_")) {
      el.reactionStatus.textContent = message;
      setTimeout(() => { el.reactionStatus.textContent = ""; }, FLOAT_MS);
    }
  }

  const plugin = {
    onMessage(m, api) {
      S.api = api;
      switch (m.type) {
        case "welcome":
          S.host = api.isHost();
          setConnected(true);
          break;
        case "you":
          if (S.host !== api.isHost()) {
            S.host = api.isHost();
            api.send({ type: "interaction_sync" });    // results we may now (not) see
            renderPolls();
            renderQuestions();
          }
          break;
        case "interaction":
          setPolls(m.polls);
          S.questions = new Map((m.questions || []).map((q) => [q.id, q]));
          renderQuestions();
          break;
        case "poll": if (m.poll) onPoll(m.poll); break;
        case "poll_results": onResults(m); break;
        case "poll_voted": onVoted(m); break;
        case "question":
          if (m.question) {
            S.questions.set(m.question.id, m.question);
            renderQuestions();
          }
          break;
        case "question_removed":
          S.questions.delete(m.question_id);
          renderQuestions();
          break;
        case "reaction": onReaction(m); break;
        case "error": onError(m); break;
        default: break;
      }
    },
    onTeardown() {
      setConnected(false);
    },
  };
  (window.roundsRoomPlugins = window.roundsRoomPlugins || []).push(plugin);

  el.create.addEventListener("submit", (event) => { event.preventDefault(); openPoll(); });
  el.qaForm.addEventListener("submit", (event) => { event.preventDefault(); askQuestion(); });
  for (const b of el.reactionsBar.querySelectorAll(".reaction-button")) {
    b.addEventListener("click", () => {
      send({ type: "reaction", emoji: b.dataset.emoji }, el.reactionStatus);
    });
  }
  setConnected(false);

  const copy = (value) => JSON.parse(JSON.stringify(value));
  window.roundsInteraction = Object.freeze({
    polls: () => copy([...S.polls.values()]),
    questions: () => copy([...S.questions.values()].sort(questionOrder)),
    reactions: () => copy(S.reactions),
  });
})();

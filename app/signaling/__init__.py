"""WebSocket signaling for live rooms: protocol v1, limits, room presence, the socket handler.

Protocol (JSON text frames; every message has a ``type``):

client -> server
  join        {token}                      first message, within 10 s; token from the room page
  offer       {sdp, tracks?}               tracks: {track id or mid: microphone|camera|screen}
  answer      {sdp}                        to a server offer
  candidate   {candidate, sdpMid?, sdpMLineIndex?}   trickled ICE; null candidate = end
  mute        {kind: audio|video, muted}
  leave       {}
  ping        {}
  close_room  {}                           hosts only: ends the session for everyone
  record      {on}                         hosts only: start or stop recording the room
  chat        {text, to?: everyone|hosts}  text stripped, 1..1000 chars; to defaults to everyone
  hand        {raised, participant_id?}    raise/lower one's own hand; a host lowers anyone's
                                           (participant_id + raised false)
  hosts only (co-hosts included; see app.signaling.host_controls and .lobby):
  admit | deny {participant_id | all: true}   let in / turn away who waits in the lobby
  lock        {locked}                     nobody new but hosts gets in while locked
  guest_policy {policy: admit|ask|signed_in|deny}   kept with the room (courses.rooms)
  mute_participant {participant_id, kind?: audio|video}   off only: nobody is unmuted remotely
  mute_all    {}                           every microphone but the hosts'
  stop_screen {participant_id}             asks the sharer's page to stop sharing
  remove      {participant_id, allow_rejoin?}   false (default): kept out for good
  set_role    {participant_id, role: cohost|presenter|participant}
  polls, Q&A and reactions (app.signaling.interaction; option indexes are 0-based):
  poll_open   {question, kind: single|multiple, options: [text], show_results?}   hosts only;
              question 1..300 chars, 2..10 distinct options of 1..200 chars
  poll_vote   {poll_id, choices: [index]}  single: exactly one; multiple: one or more distinct;
                                           voting again replaces one's vote
  poll_close  {poll_id}    poll_show {poll_id, shown}   hosts only
  question_ask {text}                      stripped, 1..500 chars
  question_upvote {question_id, on?}       on defaults to true; never one's own question
  question_answer {question_id, answered?}   question_dismiss {question_id}   hosts only
  reaction    {emoji: 👍|👏|🎉|😂|😮|💡}     passed to everyone, not kept
  interaction_sync {}                      send `interaction` again (after one's role changed)
server -> client
  waiting     {opens_at}                   the room is not open yet; stay connected
  lobby       {message, title}             the guest policy holds you until a host lets you in
  welcome     {v, participant_id, room, you, participants, streams, screens, muted,
               active_speaker, recording, ice_servers, room_state, lobby (hosts only)}
  lobby_queue {waiting: [{participant_id, name, role, guest, arrived_at}]}   to hosts
  room_state  {locked, guest_policy}       to everyone when either changes
  muted_by_host {kind, by}   stop_screen {by}   to the person a host acted on
  you         {is_host, can_share_screen, role}   your role changed
  participant_updated {participant}        someone's role changed
  removed     {message, can_rejoin}        then the socket closes with 4424
  answer      {sdp}    offer {sdp}         negotiation (the client is the polite peer)
  participant_joined {participant}    participant_left {participant_id, reason}
  streams     {streams: {stream id: participant id}, screens: [stream id]}   to label tiles
  active_speaker {participant_id}     mute {participant_id, kind, muted}
  recording   {active, started_at?, by?}   the room started or stopped recording (also in
                                           welcome, as recording: {active, started_at?})
  chat        {id, from: {participant_id, name, role}, text, to, at}   "hosts" messages go
              only to the hosts and the sender; text is verbatim (clients show it as text)
  hands       {queue: [{participant_id, name, raised_at}]}   first raised first; sent to all
              on every change; also in welcome as hands: [...]
  interaction {polls: [poll + mine], questions: [question]}   right after welcome, and on
              interaction_sync: the room's latest 100 polls (oldest first) and its questions
              (open ones first, most upvoted first, then oldest; dismissed ones left out)
  poll        {poll: {id, question, kind, options, results_shown, closed, opened_at, closed_at,
              by, results?: {counts, voters}}}   opened or changed; results only to hosts
              unless shown (then to everyone, closed or not); in `interaction` a poll also has
              mine: [index] | null, one's own choices
  poll_results {poll_id, counts, voters}  as votes come in (at most 4 a second a poll), to
              those who may see the results
  poll_voted  {poll_id, choices}           to the voter's own connections (every device)
  question    {question: {id, text, asker, mine, asked_at, upvotes, upvoted, answered,
              answered_at}}   asked or changed; mine/upvoted as seen by the receiver
  question_removed {question_id}           a host dismissed it
  reaction    {participant_id, name, emoji, at}
  room_closed {reason}                error {code, message}          pong {}

Chat and hand errors: chat_invalid (empty or too long, with the reason); chat_rate_limited and
hand_rate_limited (5 at once, then 1 a second, per participant: the message is dropped, the
socket stays open); chat_failed (could not be saved, so not delivered); forbidden (a non-host
lowering someone else's hand: refused and logged as signaling.host_command_refused).

Host command errors: forbidden (not a host now, or a co-host acting on a host by right;
logged as signaling.host_command_refused), not_found (nobody by that id in the room or the
lobby), invalid (removing oneself), failed (the policy could not be saved).

Poll, Q&A and reaction errors (the message is dropped, the socket stays open):
poll_invalid / question_invalid (what to fix: "a poll needs at least 2 options", "choice 7 is
not one of this poll's 3 options", "limited to 500 characters"), poll_not_found /
question_not_found (not in this room, or dismissed), poll_closed (no more votes), poll_limit
(10 polls open at once), question_limit (500 questions a room), upvote_refused (one's own, or
already answered), poll_rate_limited (5 at once, then 1 a second), question_rate_limited
(asking: 3 at once, then 1 every 5 s; upvotes and host marks: 10 at once, then 2 a second),
reaction_rate_limited (3 at once, then 1 every 2 s), poll_failed / question_failed /
interaction_failed (could not be saved or read: nobody was told), poll_unavailable /
question_unavailable (this server keeps no polls), forbidden (a host command from someone who
is not a host now: logged as signaling.host_command_refused).

Close codes: 4400 too many bad messages, 4401 bad or expired token / no join in time,
4403 token for another room, 4408 rate limit exceeded, 4410 room closed, 4423 not let in
(locked, guests turned away, or a host said no; an error frame says which), 4424 removed by
a host (or arriving after being removed for good), 1009 too big.
"""

PROTOCOL_VERSION = 1

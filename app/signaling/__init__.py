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
server -> client
  waiting     {opens_at}                   the room is not open yet; stay connected
  welcome     {v, participant_id, room, you, participants, streams, screens, muted,
               active_speaker, recording, ice_servers}
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
  room_closed {reason}                error {code, message}          pong {}

Chat and hand errors: chat_invalid (empty or too long, with the reason); chat_rate_limited and
hand_rate_limited (5 at once, then 1 a second, per participant: the message is dropped, the
socket stays open); chat_failed (could not be saved, so not delivered); forbidden (a non-host
lowering someone else's hand: refused and logged as signaling.host_command_refused).

Close codes: 4400 too many bad messages, 4401 bad or expired token / no join in time,
4403 token for another room, 4408 rate limit exceeded, 4410 room closed, 1009 too big.
"""

PROTOCOL_VERSION = 1

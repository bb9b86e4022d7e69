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
  room_closed {reason}                error {code, message}          pong {}

Close codes: 4400 too many bad messages, 4401 bad or expired token / no join in time,
4403 token for another room, 4408 rate limit exceeded, 4410 room closed, 1009 too big.
"""

PROTOCOL_VERSION = 1

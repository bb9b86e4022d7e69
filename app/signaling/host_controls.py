"""What hosts may do to the room and the people in it, over the signaling socket.

Every command checks, when it arrives, that the sender is a host now (co-hosts included); a
non-host's try is refused with ``forbidden`` and logged as ``signaling.host_command_refused``.
Co-hosts cannot remove, mute or demote a host by right (``Presence.primary_host``).

Nobody is unmuted remotely: a host turns a microphone or camera off at the media server and
tells its owner (``muted_by_host``), whose page turns it off too; only they turn it back on.
A host stopping a screen share stops its forwarding at the media server at once, and asks the
sharer's page to stop (``stop_screen``); taking someone's presenter role away does both and
takes the right to share from the media server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from app.signaling import lobby, protocol
from courses.models import GuestPolicy
from courses.rooms import REMOVED as REMOVED_FOR_GOOD
from media.sfu import Grants, Participant

if TYPE_CHECKING:
    from app.signaling.rooms import LiveRoom, LiveRooms, Presence

log = structlog.get_logger(__name__)

REMOVED = 4424
REMOVED_MAY_RETURN = "A host removed you from this room. You may rejoin."


class HostControls:
    """One participant's host commands in one room."""

    def __init__(self, rooms: LiveRooms, room: LiveRoom, me: Presence) -> None:
        self.rooms = rooms
        self.room = room
        self.me = me
        self.log = log.bind(room_id=room.room_id, participant_id=me.participant_id,
                            user_id=me.user_id)

    def _error(self, code: str, message: str) -> None:
        self.me.outbox.send({"type": "error", "code": code, "message": message})

    def _refuse(self, command: str, message: str, target: str | None = None) -> None:
        self.log.warning("signaling.host_command_refused", command=command, target=target)
        self._error("forbidden", message)

    def _target(self, command: str, participant_id: str) -> Presence | None:
        """The person a command is about, or None (after telling the sender why)."""
        target = self.room.present.get(participant_id)
        if target is None:
            self._error("not_found", "That person is no longer in the room.")
            return None
        if target is self.me and command in ("remove", "set_role"):
            self._error("invalid", "Use Leave to leave; a host cannot change their own role.")
            return None
        if target.primary_host and not self.me.primary_host:
            self._refuse(command, "A co-host cannot do that to a host.", participant_id)
            return None
        return target

    async def handle(self, command: protocol.HostCommand) -> None:
        if not self.me.is_host:
            self._refuse(command.type, "Only a host may do that.",
                         getattr(command, "participant_id", None))
            return
        match command:
            case protocol.Admit() | protocol.Deny():
                self._decide(command)
            case protocol.Lock(locked=locked):
                self.room.locked = locked
                self.log.info("room.locked" if locked else "room.unlocked")
                self.room.broadcast({"type": "room_state", **lobby.room_state(self.room)})
            case protocol.SetGuestPolicy(policy=policy):
                await self._set_policy(GuestPolicy(policy))
            case protocol.MuteParticipant(participant_id=pid, kind=kind):
                target = self._target("mute_participant", pid)
                if target is not None:
                    self._mute(target, kind)
            case protocol.MuteAll():
                muted = [p for p in list(self.room.present.values()) if not p.is_host]
                for target in muted:
                    self._mute(target, "audio")
                self.log.info("room.muted_all", count=len(muted))
            case protocol.StopScreen(participant_id=pid):
                target = self._target("stop_screen", pid)
                if target is not None:
                    self._stop_screen(target)
            case protocol.Remove(participant_id=pid, allow_rejoin=allow):
                target = self._target("remove", pid)
                if target is not None:
                    await self._remove(target, allow)
            case protocol.SetRole(participant_id=pid, role=role):
                target = self._target("set_role", pid)
                if target is not None:
                    self._set_role(target, role)

    def _decide(self, command: protocol.Admit | protocol.Deny) -> None:
        admit = isinstance(command, protocol.Admit)
        ids = list(self.room.lobby) if command.all else [command.participant_id or ""]
        if not command.all and ids[0] not in self.room.lobby:
            self._error("not_found", "That person is no longer waiting.")
            lobby.tell_hosts(self.room)
            return
        lobby.decide(self.room, ids, admit, by=self.me.participant_id)

    async def _set_policy(self, policy: GuestPolicy) -> None:
        if self.rooms.store is not None:
            try:
                await self.rooms.store.set_policy(self.room.room_id, policy, self.me.user_id)
            except Exception:
                self.log.exception("room.policy_not_saved")
                self._error("failed", "The guest policy could not be saved; try again.")
                return
        self.room.policy = policy
        self.room.broadcast({"type": "room_state", **lobby.room_state(self.room)})
        lobby.reconsider(self.room)

    def _mute(self, target: Presence, kind: str) -> None:
        assert kind in ("audio", "video")
        participant = self._participant(target)
        if participant is not None:
            participant.set_muted("audio" if kind == "audio" else "video", True)
        target.outbox.send({"type": "muted_by_host", "kind": kind, "by": self.me.display_name})
        self.log.info("room.muted_by_host", target=target.participant_id, kind=kind)

    def _participant(self, target: Presence) -> Participant | None:
        sfu_room = self.rooms.sfu.get_room(self.room.room_id)
        return sfu_room.participant(target.participant_id) if sfu_room else None

    def _stop_screen(self, target: Presence) -> None:
        """The media server stops forwarding the share at once; the sharer's page is asked to
        stop sharing (and so unpublishes it)."""
        participant = self._participant(target)
        forwarded = participant.pause_screen() if participant is not None else False
        target.outbox.send({"type": "stop_screen", "by": self.me.display_name})
        self.log.info("room.screen_stopped", target=target.participant_id, forwarded=forwarded)

    async def _remove(self, target: Presence, allow_rejoin: bool) -> None:
        message = REMOVED_MAY_RETURN if allow_rejoin else REMOVED_FOR_GOOD
        others = [target]
        if not allow_rejoin:
            # the same person on another device goes too, and stays out
            others += [p for p in self.room.present.values()
                       if p.person_key == target.person_key and p is not target]
            self.room.banned.add(target.person_key)
            if self.rooms.store is not None:
                try:
                    await self.rooms.store.ban(self.room.room_id, target.person,
                                               target.display_name, self.me.user_id or None)
                except Exception:
                    self.log.exception("room.ban_not_saved", target=target.participant_id)
        for presence in others:
            presence.outbox.send({"type": "removed", "message": message,
                                  "can_rejoin": allow_rejoin})
            presence.outbox.close(REMOVED, "removed by a host")
            await self.rooms.leave(self.room.room_id, presence.participant_id, "kicked")
        self.log.info("room.removed", target=target.participant_id, allow_rejoin=allow_rejoin,
                      target_user_id=target.user_id, target_guest_id=target.guest_id)

    def _set_role(self, target: Presence, role: str) -> None:
        was_sharing = target.can_share_screen
        target.is_host = role == "cohost" or target.primary_host
        target.can_share_screen = role in ("cohost", "presenter") or target.primary_host
        participant = self._participant(target)
        if participant is not None:
            grants = participant.info.grants
            participant.set_grants(Grants(
                can_publish=grants.can_publish, can_subscribe=grants.can_subscribe,
                can_share_screen=target.can_share_screen, is_host=target.is_host,
            ))
        target.outbox.send({"type": "you", "is_host": target.is_host,
                            "can_share_screen": target.can_share_screen, "role": role})
        if was_sharing and not target.can_share_screen:
            self._stop_screen(target)
        if target.is_host:
            target.outbox.send({"type": "lobby_queue", "waiting": lobby.lobby_queue(self.room)})
        self.room.broadcast({"type": "participant_updated", "participant": target.public()})
        self.log.info("room.role_set", target=target.participant_id, role=role)

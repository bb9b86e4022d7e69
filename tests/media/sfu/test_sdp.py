"""Client offers checked and narrowed; the SFU's offers in the client's numbering."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from aiortc.sdp import MediaDescription, SessionDescription

from media.sfu import NegotiationError, Sfu
from media.sfu.sdp import PayloadTable, parse_offer, pin_setup

from .conftest import info

CHROME_OFFER = (Path(__file__).parent / "data" / "chrome-offer.sdp").read_bytes().decode()


def media_of(sdp: str, kind: str) -> list[MediaDescription]:
    return [m for m in SessionDescription.parse(sdp).media if m.kind == kind]


def test_a_chrome_offer_is_narrowed_to_one_codec_per_section() -> None:
    offer = parse_offer(CHROME_OFFER)
    audio, video = offer.media
    assert (audio.kind, audio.mid, audio.direction, audio.sends) == ("audio", "0", "sendrecv", True)
    assert (audio.stream_id, audio.track_id, audio.ssrc) == ("stream1", "audiotrack1", 1001)
    assert (video.ssrc, video.rtx_ssrc) == (2001, 2002)
    narrowed_audio, = media_of(offer.sdp, "audio")
    narrowed_video, = media_of(offer.sdp, "video")
    assert [c.payloadType for c in narrowed_audio.rtp.codecs] == [111]
    assert [c.payloadType for c in narrowed_video.rtp.codecs] == [96, 97]
    assert video.codec is not None and video.codec[0] == "video/vp8"
    # an existing publication keeps its codec even if the client now prefers another
    no_vp8 = CHROME_OFFER.replace("a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000")
    keep = {"1": parse_offer(no_vp8).media[1].codec}
    assert keep["1"] is not None and keep["1"][0] == "video/h264"
    again = parse_offer(CHROME_OFFER, keep)  # type: ignore[arg-type]
    assert [c.payloadType for c in media_of(again.sdp, "video")[0].rtp.codecs] == [102, 103]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace("a=ice-pwd:kZ2fLqT0mV9sYbN3cJ7wR5eX\r\n", ""), "ICE credentials"),
        (lambda s: s.replace("a=fingerprint", "a=x-fingerprint"), "DTLS fingerprint"),
        (lambda s: s.replace("a=rtcp-mux\r\n", ""), "rtcp-mux"),
        (lambda s: s.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0"), "BUNDLE"),
        (
            lambda s: s.replace("m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107",
                                "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"),
            "audio and video",
        ),
        (lambda s: s.replace("opus/48000/2", "ISAC/16000"), "no usable codec in the audio"),
        (lambda s: "v=0\r\n" + s.split("m=audio")[0].split("\r\n", 1)[1], "not SDP"),
    ],
)
def test_unusable_offers_are_refused_with_a_reason(
    change: Callable[[str], str], message: str
) -> None:
    with pytest.raises(NegotiationError, match=message):
        parse_offer(change(CHROME_OFFER))


def test_the_payload_table_imposes_the_clients_numbers() -> None:
    table = PayloadTable()
    table.learn(SessionDescription.parse(CHROME_OFFER))
    ours = (
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99 100\r\na=mid:2\r\na=sendonly\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
        "a=extmap:9 urn:example:unknown\r\n"
        "a=rtcp-mux\r\na=rtpmap:97 VP8/90000\r\na=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n"
        "a=rtpmap:99 VP9/90000\r\na=rtpmap:100 rtx/90000\r\na=fmtp:100 apt=99\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    )
    video, = media_of(table.rewrite_offer(ours), "video")
    numbers = {c.mimeType: c.payloadType for c in video.rtp.codecs}
    assert numbers["video/VP8"] == 96
    rtx = {
        c.parameters["apt"]: c.payloadType for c in video.rtp.codecs if c.mimeType == "video/rtx"
    }
    assert rtx[96] == 97
    used = {111, 63, 9, 0, 8, 13, 110, 126, 96, 97, 102, 103, 104, 105, 106, 107}
    assert numbers["video/VP9"] not in used and rtx[numbers["video/VP9"]] not in used
    ids = {x.uri: x.id for x in video.rtp.headerExtensions}
    assert ids["urn:ietf:params:rtp-hdrext:sdes:mid"] == 4
    assert ids["http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"] == 2
    assert ids["urn:example:unknown"] not in {1, 2, 3, 4, 10, 11, 13, 14}


def test_setup_is_pinned() -> None:
    pinned = pin_setup(CHROME_OFFER, "passive")
    assert "a=setup:actpass" not in pinned and pinned.count("a=setup:passive") == 2


async def test_browser_offers_get_browser_numbers_in_the_sfus_offers(sfu: Sfu) -> None:
    """Two Chrome-like participants (never connected): the SFU's offer to the second uses
    Chrome's payload types and extension ids on every m-line, as BUNDLE requires."""
    room = sfu.room("r1")
    first = room.join("first", info("first"))
    answer = await first.handle_offer(CHROME_OFFER)
    assert "a=setup:active" in answer
    audio, = media_of(answer, "audio")
    video, = media_of(answer, "video")
    assert [c.payloadType for c in audio.rtp.codecs] == [111]
    assert [c.payloadType for c in video.rtp.codecs] == [96, 97]
    assert {x.uri: x.id for x in video.rtp.headerExtensions}[
        "urn:ietf:params:rtp-hdrext:sdes:mid"] == 4

    second = room.join("second", info("second"))
    await second.handle_offer(CHROME_OFFER.replace("stream1", "stream2"))
    offer = await asyncio.wait_for(anext(aiter(second.offers())), 5)
    description = SessionDescription.parse(offer)
    sending = [m for m in description.media if m.direction == "sendonly"]
    assert len(sending) == 2
    for media in description.media:
        for codec in media.rtp.codecs:
            expected = {"audio/opus": 111, "video/VP8": 96}.get(codec.mimeType)
            if expected is not None:
                assert codec.payloadType == expected, (media.rtp.muxId, codec)
        ids = {x.uri: x.id for x in media.rtp.headerExtensions}
        assert ids.get("urn:ietf:params:rtp-hdrext:sdes:mid", 4) == 4
        assert ids.get("urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1) == 1
    owners = room.stream_owners()
    assert {s.msid.split()[0] for s in sending if s.msid} <= set(owners)
    assert {owners[s.msid.split()[0]] for s in sending if s.msid} == {"first"}

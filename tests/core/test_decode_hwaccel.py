"""Hardware decode routes on a machine without (or with) a GPU: every way hardware can fail ends
in software decoding with the same frames, and the route says which decoder ran and why."""

from __future__ import annotations

import av
import numpy as np
import pytest

from camtag.media import hwaccel
from camtag.media.decode import Decoder, FrameSpec
from camtag.media.probe import open_container

SPEC = FrameSpec(small_size=(32, 18), luma_width=64, exact=True)
N = 36


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """160×90 H.264 with B-frames and a keyframe every 12 frames: a pan, a cut, a moving block."""
    rng = np.random.default_rng(7)
    path = tmp_path_factory.mktemp("hw") / "clip.mp4"
    scenes = [rng.integers(0, 256, (120, 260, 3), np.uint8) for _ in range(2)]
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 160, 90, "yuv420p"
        s.options = {"g": "12", "bf": "2", "crf": "20"}
        for i in range(N):
            img = scenes[i >= N // 2][10:100, 2 * i:2 * i + 160].copy()
            img[30:50, (4 * i) % 140:(4 * i) % 140 + 20] = 255
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return str(path)


@pytest.fixture(autouse=True)
def fresh_devices():
    hwaccel.reset()
    yield
    hwaccel.reset()


def frames_of(decoder):
    got = [(f.index, f.small.copy(), f.luma.copy()) for f in decoder]
    return got


def same_frames(a, b):
    assert [i for i, *_ in a] == [i for i, *_ in b] == list(range(N))
    for (_, sa, la), (_, sb, lb) in zip(a, b, strict=True):
        assert np.array_equal(sa, sb) and np.array_equal(la, lb)


def test_setting_parsing():
    assert hwaccel.requested("off") == [] and hwaccel.requested("software") == []
    assert hwaccel.requested("cuda, vaapi") == ["cuda", "vaapi"]
    assert hwaccel.requested("cuda\nvaapi  cuda,,") == ["cuda", "vaapi"]
    long = hwaccel.requested("x" * 5000)
    assert long == ["x" * 32 + "…"] and "\n" not in hwaccel.describe("cuda\nnosuchdevice")
    auto = hwaccel.requested("auto")
    assert auto == [d for d in hwaccel.PREFERENCE if d in hwaccel.compiled_devices()]
    assert "off" in hwaccel.describe("off")


def test_unknown_device_falls_back_to_software_with_the_same_frames(clip):
    soft = Decoder(clip, SPEC, hwaccel="off")
    ref = frames_of(soft)
    assert soft.route.device is None and soft.route.codec == "h264" and soft.route.note == ""
    forced = Decoder(clip, SPEC, hwaccel="nosuchdevice")
    same_frames(frames_of(forced), ref)
    assert forced.route.device is None and not forced.issues
    assert "nosuchdevice" in forced.route.note and "not built into this FFmpeg" in forced.route.note
    assert "nosuchdevice" in hwaccel.describe("nosuchdevice")


def test_a_device_named_in_the_environment_that_cannot_decode_is_said(clip, monkeypatch):
    """CAMTAG_HWACCEL=NAME is as explicit as the setting: the route says why software ran."""
    monkeypatch.setenv(hwaccel.ENV, "nosuchdevice")
    dec = Decoder(clip, SPEC)
    frames_of(dec)
    assert dec.route.device is None and dec.route.codec == "h264"
    assert "nosuchdevice" in dec.route.note and "nosuchdevice" in dec.route.label
    monkeypatch.setenv(hwaccel.ENV, "auto")
    assert not hwaccel.explicit() and hwaccel.explicit("cuda") and not hwaccel.explicit("off")


@pytest.mark.parametrize("device", hwaccel.compiled_devices() or ["none-built"])
def test_each_built_in_device_decodes_or_falls_back_cleanly(clip, device, monkeypatch):
    """Skip the probe clip, so the file itself meets the device: a device that cannot be opened,
    or that opens but declines the stream, ends in software decoding with the same frames."""
    ref = frames_of(Decoder(clip, SPEC, hwaccel="off"))
    monkeypatch.setattr(hwaccel, "available_devices", lambda setting=None: [device])
    dec = Decoder(clip, FrameSpec(small_size=(32, 18), luma_width=64, exact=True), hwaccel=device)
    got = frames_of(dec)
    assert [i for i, *_ in got] == list(range(N))
    if dec.route.hardware:                       # a machine with this decoder: same pictures
        assert dec.route.device == device
        for (_, _, la), (_, _, lb) in zip(got, ref, strict=True):
            assert np.abs(la.astype(int) - lb).mean() < 1.0
    else:
        same_frames(got, ref)
        assert dec.route.codec == "h264"
        opened_fail = hwaccel.unusable(device)
        assert opened_fail or f"{device} does not decode this stream" in dec.route.note
        assert "Error" not in (opened_fail or "")    # an editor's words, not an exception's


def test_why_a_device_failed_is_said_in_words():
    """FFmpeg's system errors (no GPU, driver or permission) and PyAV's refusals, as ``camtag
    doctor`` and the analysis JSON print them."""
    no_gpu = av.error.PermissionError(1, "Operation not permitted")
    assert hwaccel.device_error(no_gpu) == "the device did not open (Operation not permitted)"
    assert hwaccel.device_error(av.error.OSError(19, "No such device")) == \
        "the device did not open (No such device)"
    refused = RuntimeError("Hardware accelerated decode requested but no stream is compatible\nmore")
    assert hwaccel.device_error(refused) == \
        "Hardware accelerated decode requested but no stream is compatible"
    assert hwaccel.device_error(RuntimeError()) == "RuntimeError"


class _FailingHardware(Decoder):
    """A decoder whose 'hardware' (really the software decoder) stops with an error at packet
    ``fail_at``: the mid-stream fault path, on any machine."""

    fail_at = 17

    def _open(self, software=False):
        if software:
            return super()._open(True)
        self.opened = None
        container = open_container(self.path)
        self.route = hwaccel.DecodeRoute("fakehw", "h264")
        stream = container.streams.video[0]

        def packets():
            for n, packet in enumerate(container.demux(stream)):
                if n == self.fail_at:
                    raise av.error.InvalidDataError(1094995529, "Invalid data found", self.path)
                yield packet
        return container, packets()

    @staticmethod
    def _on_device(ctx) -> bool:
        return True


@pytest.mark.parametrize("background", [True, False])
def test_mid_stream_hardware_error_continues_in_software_from_the_frame_reached(clip, background):
    ref = frames_of(Decoder(clip, SPEC, hwaccel="off"))
    dec = _FailingHardware(clip, SPEC, background=background)
    got = frames_of(dec)
    same_frames(got, ref)                        # nothing lost, nothing twice
    assert dec.route.device is None and "fakehw failed at frame" in dec.route.note
    assert len(dec.issues) == 1 and "continued with software decode" in dec.issues[0].message
    assert 0 < dec.issues[0].index < N

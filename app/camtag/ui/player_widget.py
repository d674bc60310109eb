"""The player's widgets: the picture, the timecode, the transport buttons and a scrub bar."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QSlider, QStyle,
                               QStyleOptionSlider, QToolButton, QVBoxLayout, QWidget)

from camtag.ui.player import PlayerController
from camtag.ui.resources import icon
from camtag.ui.settings import TIME_DISPLAYS


class VideoView(QWidget):
    """Paints the last frame the server delivered, letterboxed, with the in/out marks' state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.index = -1
        self.message = "Open a clip (Ctrl+O) or drop files here"
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)     # a click on the picture takes the keys

    def show_frame(self, index: int, image: QImage) -> None:
        self.index, self.image = index, image
        self.update()

    def clear(self, message: str) -> None:
        self.image, self.index, self.message = None, -1, message
        self.update()

    def picture_rect(self) -> QRect:
        if self.image is None or self.image.isNull():
            return QRect()
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = int(iw * scale), int(ih * scale)
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0b0c0e"))
        if self.image is None:
            p.setPen(QColor("#6b7280"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.picture_rect(), self.image)


MARK_COLOR = QColor("#f6e58d")


class ElidedLabel(QLabel):
    """One line that shortens itself (…) instead of widening the window; the whole text is the
    tooltip. A 1280-pixel screen fits the window whatever the clip's name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """The whole line (what is painted may be shortened: :meth:`shown_text`)."""
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def minimumSizeHint(self):  # noqa: N802 (Qt API)
        hint = super().minimumSizeHint()
        hint.setWidth(40)
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        """The first part (the file name, also in the title bar) gives way first; the facts an
        editor checks (rate, DF/NDF, start timecode) stay."""
        fm, width, sep = self.fontMetrics(), max(40, self.width()), "  ·  "
        shown = self._full
        if fm.horizontalAdvance(shown) > width:
            first, _, rest = shown.partition(sep)
            room = width - fm.horizontalAdvance(sep + rest)
            if rest and room >= 80:
                shown = fm.elidedText(first, Qt.TextElideMode.ElideMiddle, room) + sep + rest
            else:                       # no room for the name: the facts, the last ones give way
                shown = fm.elidedText(rest or shown, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)


class MarkedSlider(QSlider):
    """The position slider with the in/out range drawn on it (a band over the groove, a bracket at
    each mark), as on an NLE's scrubber."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.marks: tuple[int | None, int | None] = (None, None)

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        if (mark_in, mark_out) != self.marks:
            self.marks = (mark_in, mark_out)
            self.update()

    def x_of(self, value: int) -> int:
        """The pixel column of ``value`` (the handle's centre there)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                      QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                      QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        return groove.left() + handle.width() // 2 + QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), value, span)

    def mark_span(self) -> tuple[int, int] | None:
        """Pixel columns of the drawn in/out range (None without marks)."""
        a, b = self.marks
        if a is None and b is None:
            return None
        return (self.x_of(a if a is not None else self.minimum()),
                self.x_of(b if b is not None else self.maximum()))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)
        span = self.mark_span()
        if span is None:
            return
        x0, x1 = span
        mid, h = self.height() // 2, self.height()
        p = QPainter(self)
        band = QColor(MARK_COLOR)
        band.setAlpha(150)
        p.fillRect(QRect(x0, mid - 3, max(1, x1 - x0 + 1), 7), band)
        p.setPen(MARK_COLOR)
        for x, present, sign in ((x0, self.marks[0] is not None, 1),
                                 (x1, self.marks[1] is not None, -1)):
            if present:                     # a bracket: [ at in, ] at out
                p.drawLine(x, 1, x, h - 2)
                p.drawLine(x, 1, x + 3 * sign, 1)
                p.drawLine(x, h - 2, x + 3 * sign, h - 2)
        p.end()


class PlayerWidget(QWidget):
    time_display_changed = Signal(str)

    def __init__(self, player: PlayerController, binder, time_display: str = "timecode",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.time_display = time_display
        self.view = VideoView(self)
        self.timecode = QLabel("--:--:--:--", self)
        self.timecode.setObjectName("timecode")
        self.timecode.setCursor(Qt.CursorShape.PointingHandCursor)
        self.timecode.setToolTip("Click (or Ctrl+T) to show timecode / frames / seconds")
        self.timecode.mousePressEvent = lambda _e: self.cycle_time_display()
        self.goto = QLineEdit(self)
        self.goto.setObjectName("timecodeEntry")
        self.goto.setPlaceholderText("01:00:10:05, 1005, +12, 480f")
        self.goto.setToolTip("Type a timecode (digits fill from the right, as in an NLE), +/- "
                             "frames, or a frame number with f; Enter jumps, Esc cancels")
        self.goto.setMaximumWidth(170)
        self.goto.hide()
        self.goto.returnPressed.connect(self._goto)
        self.speed = QLabel("", self)
        self.marks = QLabel("", self)
        self.marks.setObjectName("marks")
        self.info = ElidedLabel(self)
        self.info.setObjectName("clipInfo")
        self.slider = MarkedSlider(self)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Click or drag to seek. The gold band is the in/out range: "
                               "I / O set the marks, [ / ] go to them")
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._slider_moved)

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for action_id, name in (("shot.previous", "shot-previous"), ("step.back", "step-back"),
                                ("play.reverse", "reverse"), ("play.toggle", "play"),
                                ("step.forward", "step-forward"), ("shot.next", "shot-next"),
                                ("mark.in", "mark-in"), ("mark.out", "mark-out")):
            action = binder[action_id]
            action.setIcon(icon(name))
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(button)
        self.play_action = binder["play.toggle"]
        binder.bind("mark.go_in", player.go_in)
        binder.bind("mark.go_out", player.go_out)
        buttons.addSpacing(8)
        buttons.addWidget(self.speed)
        buttons.addStretch(1)
        buttons.addWidget(self.marks)
        buttons.addSpacing(8)
        buttons.addWidget(self.goto)
        buttons.addWidget(self.timecode)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slider)
        layout.addLayout(buttons)
        layout.addWidget(self.info)

        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.timecode.setFont(mono)
        player.frame_shown.connect(self.view.show_frame)
        player.position_changed.connect(self._on_position)
        player.state_changed.connect(self._on_state)

    # -- typed jump ------------------------------------------------------------------------------
    def start_goto(self) -> None:
        self.goto.clear()
        self.goto.show()
        self.goto.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _goto(self) -> None:
        media, p = self.player.media, self.player
        try:
            frame = goto_frame(self.goto.text(), p.position, media)
        except ValueError as exc:
            self.goto.setToolTip(str(exc))
            self.goto.setStyleSheet("color: #ff8a80")
            return
        self.goto.setStyleSheet("")
        self.goto.hide()
        p.pause()
        p.seek(max(0, min(frame, p.frames - 1)))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Esc closes the jump field
        if event.key() == Qt.Key.Key_Escape and self.goto.isVisible():
            self.goto.hide()
            return
        super().keyPressEvent(event)

    # -- updates --------------------------------------------------------------------------------
    def _on_position(self, frame: int) -> None:
        self.timecode.setText(self.player.time_text(frame, self.time_display))
        self.slider.blockSignals(True)
        self.slider.setValue(frame)
        self.slider.blockSignals(False)

    def _on_state(self) -> None:
        p = self.player
        self.slider.setRange(0, max(0, p.frames - 1))
        speed = p.speed
        self.speed.setText("" if speed == 0 else f"{'◀' if speed < 0 else '▶'} {abs(speed):g}×")
        self.play_action.setIcon(icon("pause" if p.playing else "play"))
        marks = []
        if p.mark_in is not None:
            marks.append(f"IN {p.time_text(p.mark_in, self.time_display)}")
        if p.mark_out is not None:
            marks.append(f"OUT {p.time_text(p.mark_out, self.time_display)}")
        if p.mark_in is not None and p.mark_out is not None:
            marks.append(f"({p.mark_out - p.mark_in + 1} frames)")
        self.marks.setText("  ".join(marks))
        self.slider.set_marks(p.mark_in, p.mark_out)
        self.info.setText(self.clip_info())
        self._on_position(p.position)

    def clip_info(self) -> str:
        m = self.player.media
        if m is None:
            return ""
        rate = f"{float(m.rate):.3f}".rstrip("0").rstrip(".")
        parts = [m.path.rsplit("/", 1)[-1], f"{m.width}×{m.height}", f"{rate} fps",
                 "DF" if m.drop_frame else "NDF", f"{self.player.frames} frames",
                 f"start {m.timecode(0)}"]
        if m.sar != 1:
            parts.append(f"SAR {m.sar.numerator}:{m.sar.denominator}")
        if m.rotation:
            parts.append(f"rotated {m.rotation}°")
        if m.vfr:
            parts.append("⚠ VFR: frame numbers follow decode order")
        parts.append(self.player.audio.status)
        return "  ·  ".join(parts)

    def cycle_time_display(self) -> None:
        i = TIME_DISPLAYS.index(self.time_display) if self.time_display in TIME_DISPLAYS else 0
        self.time_display = TIME_DISPLAYS[(i + 1) % len(TIME_DISPLAYS)]
        self._on_state()
        self.time_display_changed.emit(self.time_display)

    def _slider_moved(self, value: int) -> None:
        self.player.pause()
        self.player.seek(value)


def goto_frame(text: str, position: int, media) -> int:
    """A typed jump as a 0-based frame: ``01:00:10:05`` (or ``;`` for drop frame), digits filled
    from the right (``1005`` = 10 s 5 frames), ``+12``/``-12`` frames, or ``480f``."""
    from camtag.timebase import TimecodeError, timecode_to_frames

    t = text.strip()
    if not t:
        raise ValueError("type a timecode, +/-frames or a frame number")
    if t[0] in "+-" and t[1:].isdigit():
        return position + int(t)
    if t.lower().endswith("f") and t[:-1].isdigit():
        return int(t[:-1])
    if media is None:
        raise ValueError("no clip is open")
    digits = "".join(c for c in t if c.isdigit())
    if not digits or any(c not in "0123456789:;.," for c in t):
        raise ValueError(f"{t!r} is not a timecode")
    if ":" in t or ";" in t:
        parts = t.replace(";", ":").split(":")
        digits = "".join(p.zfill(2) for p in parts)
    digits = digits.zfill(8)[-8:]
    sep = ";" if media.drop_frame else ":"
    label = f"{digits[0:2]}:{digits[2:4]}:{digits[4:6]}{sep}{digits[6:8]}"
    try:
        absolute = timecode_to_frames(label, media.rate, media.drop_frame)
    except TimecodeError as exc:
        raise ValueError(str(exc)) from None
    start = media.start_frame
    if absolute < start and absolute < media.frames:      # typed from the clip start, not the TC
        return absolute
    return absolute - start

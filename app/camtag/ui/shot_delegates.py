"""Painting for the shot browser: coloured movement chips, and the grid's poster cards."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from camtag.ui.hover_scrub import poster_rect
from camtag.ui.shot_model import COL_CLIP, COL_DURATION, COL_IN, SHOT_ROLE, TAGS_ROLE

_MARK = {"confirmed": "✓ ", "added": "+ "}


def _text_on(color: QColor) -> QColor:
    lum = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return QColor("#111111") if lum > 150 else QColor("#ffffff")


def paint_chips(painter: QPainter, rect: QRect, chips, font: QFont, limit: int = 6) -> None:
    """Rounded chips ``tag 0.82`` in the tag's taxonomy colour, left to right until full."""
    fm = QFontMetrics(font)
    x, h = rect.left() + 2, min(rect.height() - 4, fm.height() + 4)
    y = rect.top() + (rect.height() - h) // 2
    painter.save()
    painter.setFont(font)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for n, (_tag, conf, state, color, name) in enumerate(chips):
        label = f"{_MARK.get(state, '')}{name} {conf:.2f}"
        w = fm.horizontalAdvance(label) + 10
        if x + w > rect.right() or n >= limit:
            if n < len(chips):
                painter.setPen(QColor("#8b95a5"))
                painter.drawText(QRect(x, y, 30, h), Qt.AlignmentFlag.AlignVCenter, f"+{len(chips) - n}")
            break
        bg = QColor(color)
        if state == "proposed":
            bg.setAlpha(90 + int(150 * max(0.0, min(1.0, conf))))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(x, y, w, h), h / 2, h / 2)
        painter.setPen(_text_on(QColor(color)))
        painter.drawText(QRect(x, y, w, h), Qt.AlignmentFlag.AlignCenter, label)
        x += w + 4
    painter.restore()


def card_label(number: int, tc_in: str, duration: str, clip: str) -> str:
    """``#3  00:00:06:20  5.24 s  clip.mov``: in point and length (as a media pool card shows a
    clip), so the numbers that matter fit on a card; the clip name comes last and gives way."""
    length = duration.rsplit("(", 1)[-1].rstrip(")") if "(" in (duration or "") else duration
    return f"#{number}  {tc_in}  {length}  {clip}"


class ChipsDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option, index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        paint_chips(painter, option.rect, index.data(TAGS_ROLE) or [], font)

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        chips = index.data(TAGS_ROLE) or []
        fm = QFontMetrics(option.font)
        width = sum(fm.horizontalAdvance(f"{c[4]} {c[1]:.2f}") + 14 for c in chips[:3])
        return QSize(max(160, width), fm.height() + 8)


class GridDelegate(QStyledItemDelegate):
    """A card: poster, shot number and in/out timecode, and chips."""

    CARD = QSize(232, 184)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.scrub = None               # a HoverScrub: the hovered card shows its frame instead


    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return self.CARD

    def paint(self, painter: QPainter, option, index) -> None:
        rec = index.data(SHOT_ROLE)
        if rec is None:
            return
        model = index.model()
        r = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(QColor("#54a0ff") if selected else QColor("#2b3038"))
        painter.setBrush(QColor("#243447") if selected else QColor("#22262c"))
        painter.drawRoundedRect(r, 6, 6)
        pic = poster_rect(option.rect)
        pix = index.data(Qt.ItemDataRole.DecorationRole)
        hovered = self.scrub.view if self.scrub is not None else None
        if hovered is not None and hovered.shot_id != rec.id:
            hovered = None
        if hovered is not None and hovered.pixmap is not None:
            pix = hovered.pixmap
        painter.fillRect(pic, QColor("#0b0c0e"))
        if pix is not None and not pix.isNull():
            dpr = pix.devicePixelRatio()          # posters are kept at 2x for HiDPI screens
            scaled = pix.scaled(pic.size() * dpr, Qt.AspectRatioMode.KeepAspectRatio,
                                Qt.TransformationMode.SmoothTransformation)
            scaled.setDevicePixelRatio(dpr)
            w, h = round(scaled.width() / dpr), round(scaled.height() / dpr)
            painter.drawPixmap(pic.left() + (pic.width() - w) // 2,
                               pic.top() + (pic.height() - h) // 2, scaled)
        if hovered is not None:         # where in the shot the hovered frame is
            x = pic.left() + round(hovered.fraction * pic.width())
            painter.fillRect(QRect(pic.left(), pic.bottom() - 2, pic.width(), 3), QColor(0, 0, 0, 140))
            painter.fillRect(QRect(max(pic.left(), x - 1), pic.bottom() - 5, 3, 6), QColor("#ffcc00"))
        row = index.row()
        tc_in = model.index(row, COL_IN).data()
        text_rect = QRect(r.left() + 6, pic.bottom() + 4, r.width() - 12, 18)
        painter.setPen(QColor("#d8dee9"))
        label = card_label(rec.shot.index + 1, tc_in, model.index(row, COL_DURATION).data(),
                           model.index(row, COL_CLIP).data())
        label = QFontMetrics(option.font).elidedText(label, Qt.TextElideMode.ElideRight,
                                                     text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        chips_rect = QRect(r.left() + 4, text_rect.bottom() + 2, r.width() - 8, 22)
        paint_chips(painter, chips_rect, index.data(TAGS_ROLE) or [], font, limit=3)
        painter.restore()

"""The ``?`` cheat sheet, generated from the action table and the user's current keys."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from camtag.ui.actions import cheat_sheet_rows


def cheat_sheet_html(keys: dict[str, tuple[str, ...]]) -> str:
    rows, group = [], None
    for g, shown, text in cheat_sheet_rows(keys):
        if g != group:
            group = g
            rows.append(f"<tr><td colspan=2 style='padding-top:10px;color:#54a0ff;"
                        f"font-weight:600'>{html.escape(g)}</td></tr>")
        rows.append(f"<tr><td style='padding:2px 16px 2px 4px;font-family:monospace;"
                    f"color:#f6e58d;white-space:nowrap'>{html.escape(shown)}</td>"
                    f"<td>{html.escape(text)}</td></tr>")
    return ("<table cellspacing=0>" + "".join(rows) + "</table>"
            "<p style='color:#8b95a5'>Keys are ignored while you type in a text field; Esc leaves "
            "it. Remap them in Settings → Shortcuts.</p>")


class CheatSheet(QDialog):
    def __init__(self, keys: dict[str, tuple[str, ...]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.browser = QTextBrowser(self)
        self.browser.setHtml(cheat_sheet_html(keys))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(560, 640)

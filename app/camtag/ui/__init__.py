"""The desktop app (PySide6 + pyqtgraph + superqt): the only part of camtag that imports Qt.

    from camtag.ui.app import run
    run("A001.mov")                       # or: camtag app A001.mov

Modules, one widget or concern each: ``player`` (transport, J/K/L) with ``frame_reader`` /
``frame_server`` (exact frames, decoded off the GUI thread) and ``audio``; ``shot_model`` /
``shot_browser`` / ``shot_delegates``; ``timeline``; ``reasoning_panel``; ``search_bar``;
``sidebar``; ``analysis_queue`` / ``queue_panel`` / ``workers`` (jobs on threads);
``export_dialog``; ``settings`` / ``settings_dialog``; ``actions`` / ``shortcuts`` /
``cheat_sheet``; ``notifications``; ``library_bridge`` / ``shot_scope``; ``main_window``.
"""

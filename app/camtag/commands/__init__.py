"""One module per `camtag` subcommand (discovered by :mod:`camtag.cli`)."""

"""One module per subcommand; `deputyguard.cli` only parses arguments and dispatches."""

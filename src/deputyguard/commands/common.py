"""What every subcommand shares: exit codes (cli.md) and the usage-error type."""

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class UsageError(Exception):
    """Wrong arguments: reported on stderr with exit code 2."""

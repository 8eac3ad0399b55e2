"""The devhost's own start-up error (settings problems stay `shared.config.ConfigError`)."""


class DevHostError(RuntimeError):
    """The app cannot be hosted as declared; the message is one line naming the function or file."""

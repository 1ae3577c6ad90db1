"""Errors a user can cause, reported by the command line as one line with exit status 2."""


class UserError(Exception):
    """A problem in the user's input (config, dataset, checkpoint, arguments).

    The message names what is wrong and how to fix it, in one line.
    """

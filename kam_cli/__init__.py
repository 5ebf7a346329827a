"""The `kam` command: set up, import and export, users, the server and the demo (PLAT-3).

Django is set up lazily inside each command, so `kam --help` is fast and works with no
database at all.
"""

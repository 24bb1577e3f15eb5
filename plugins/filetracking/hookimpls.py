"""Hook implementations of the filetracking plugin.

TODO(not built yet): the plugin loads but contributes nothing until its own
work lands; see the project's open issues for what it will hold.
"""

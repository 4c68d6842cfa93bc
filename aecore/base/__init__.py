"""Base: what several rooms share and none owns, so each uses one copy instead of writing its own.

`atomic` writes files so that a reader, or a kill at any moment, never meets half of one (JSON, arrays, whole
folders flushed before a rename); `layout` says where the store is and which names it takes (models and your own
datasets alike); `children` starts `python -m aecore ...` in a child process that runs this same aecore. The lowest
room after the errors: it imports nothing else of aecore, and every room may use it.
"""

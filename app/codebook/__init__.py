"""The codebook as staff edit it: stored versions, the editor's changes, re-coding jobs.

`versions` stores and rebuilds whole codebook versions, `services` makes the
editor's changes (each one a new version), and `recoding` re-codes stored
responses with a new version in small batches, in the background.
"""

"""Moderation in the core: the organization's policy, the pipeline that carries verdicts out,
and the hash-chained audit log. Judging itself is a plugin (the ``moderate_comment`` hook)."""

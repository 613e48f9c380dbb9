"""Appeals: residents' questions, complaints and requests found among comments, each with a
deadline, answered when the community's own reply is seen in its thread.

The acts keep criticism out of what is deleted because it is a citizen's appeal, to be
answered (001 §11); a head of administration is asked how many were answered and how fast.
What makes a comment an appeal is a plugin's call (the ``detect_appeal`` hook; the default
is ``hub_appeals``); what the core keeps is the record: received, due, answered by whom and
how fast, or closed with a reason (:mod:`hub.appeals.record`, :mod:`hub.appeals.service`).
"""

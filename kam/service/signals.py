"""Signals of the service app: a policy changed (open tickets of its tier take the new
targets)."""

from django.dispatch import Signal

#: Sent with `policy` after a director changed a tier's service policy.
policy_changed = Signal()

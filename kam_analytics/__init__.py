"""KAM's value engine: pure-Python analytics (transforms, models, reference data).

This package never imports Django; ``kam.insights`` is the only Django code that uses it.
"""
